internal import CGlibcExtras
import Glibc

/// A named, detached operating-system thread, for work that blocks in C (librdkafka calls, sleeps between
/// polls) and so must not run on Swift's cooperative pool. Plain pthreads keep the binary free of
/// Foundation (whose `Thread` would link it, with ICU's data, into the shipped binary).
public enum OSThread {
    /// The closure and name handed to the new thread; the thread takes the only reference.
    private final class Start {
        let name: String
        let body: @Sendable () -> Void

        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Starts `body` on a new thread named `name` (Linux keeps the first 15 bytes, shown by `top -H`).
    /// Nothing joins it: the thread ends when `body` returns.
    public static func detach(name: String, _ body: @escaping @Sendable () -> Void) {
        let start = Unmanaged.passRetained(Start(name: name, body: body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { context in
            // The pointer is the retained Start passed below; pthread_create never calls this with nil.
            let start = Unmanaged<Start>.fromOpaque(context!).takeRetainedValue()
            _ = CGlibcExtras_set_thread_name(start.name)
            start.body()
            return nil
        }, start)
        // Failing to start a thread (EAGAIN: the process's thread limit) leaves the daemon without a loop it
        // needs; there is no useful way to go on.
        precondition(result == 0, "cannot start thread \(name): error \(result)")
        pthread_detach(thread)
    }

    /// Blocks the calling thread for `seconds`.
    public static func sleep(seconds: Double) {
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }
}
