import { Kafka, logLevel, type Producer } from 'kafkajs';
import { CommandError } from '../cli-errors';

/** A client that gives up on an unreachable broker within seconds instead of retrying for a minute. */
export function kafkaClient(brokers: readonly string[], retries = 2): Kafka {
  return new Kafka({ clientId: 'clearwork-cli', brokers: [...brokers], logLevel: logLevel.NOTHING, connectionTimeout: 3_000, retry: { retries } });
}

/** What to say when the brokers cannot be reached or refuse. */
export function kafkaFailure(brokers: readonly string[], error: unknown): CommandError {
  return new CommandError(
    `cannot reach Kafka at ${brokers.join(',')} (${(error as Error).message}): is it running? start the engine on Kafka with npm run start:servers (or only the broker with npm run infra:up; embedded mode, npm start, has no Kafka to reach), or point --kafka at it`,
  );
}

/** Connects a producer, runs `use` with it, and disconnects; a connection failure says what to do. */
export async function withKafkaProducer<T>(brokers: readonly string[], use: (producer: Producer) => Promise<T>): Promise<T> {
  const producer = kafkaClient(brokers).producer({ allowAutoTopicCreation: false });
  try {
    await producer.connect();
  } catch (error) {
    throw kafkaFailure(brokers, error);
  }
  try {
    return await use(producer);
  } catch (error) {
    throw new CommandError(`Kafka at ${brokers.join(',')} refused the message (${(error as Error).message}): are the topics created? npm run start:servers creates them`);
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}
