/** A command line clearwork cannot run: exit status 2, with what to type instead. */
export class UsageError extends Error {
  readonly exitCode = 2;

  /** `command` names the command whose --help shows the right options, when one was recognised. */
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A command that ran and failed (a service unreachable or refusing): exit status 1, and the message says what to do next. */
export class CommandError extends Error {
  readonly exitCode: number = 1;

  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

/** Ctrl-C stopped a command before it finished: exit status 130, as a shell reports SIGINT. */
export class Interrupted extends CommandError {
  override readonly exitCode: number = 130;

  constructor(what: string) {
    super(`interrupted: ${what}`);
    this.name = 'Interrupted';
  }
}
