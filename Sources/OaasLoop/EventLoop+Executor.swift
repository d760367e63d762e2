/// The loop as a Swift executor.
///
/// As a `SerialExecutor` it can isolate an actor (`unownedExecutor`) so the actor's code runs on
/// the loop thread; as a `TaskExecutor` it can be a task's preference
/// (`Task(executorPreference: loop)`), so the task's nonisolated code starts on the loop thread
/// and comes back to it after every `await`. Jobs go through the same door as `execute`, in order.
extension EventLoop: SerialExecutor, TaskExecutor {
    /// Takes a job to run on the loop thread. Any thread.
    ///
    /// A task may still resume while the loop drains at shutdown; a job that arrives after the
    /// loop has finished is a task that outlived its loop, a programmer error that traps.
    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        guard enqueue(.task(unowned), isTask: true) else {
            fatalError("event loop '\(name)' was handed a task after it finished; a task outlived its loop")
        }
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    public func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }

    /// Traps unless on the loop thread; lets `assumeIsolated` work for loop-isolated actors.
    public func checkIsolated() {
        preconditionInLoop()
    }
}
