/* Creates every contract topic and its dead-letter topic on the broker (idempotent). */
import { Kafka, logLevel } from 'kafkajs';
import { ensureTopics } from '../libs/platform/src/kafka/topic-admin';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

ensureTopics(new Kafka({ clientId: 'clearwork-topics', brokers, logLevel: logLevel.WARN }))
  .then((created) => {
    console.log(created.length ? `created topics: ${created.join(', ')}` : 'all topics already exist');
  })
  .catch((error: Error) => {
    console.error(`could not create topics on ${brokers.join(',')}: ${error.message}\nIs the broker up? Try: scripts/kafka.sh status`);
    process.exit(1);
  });
