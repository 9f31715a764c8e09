import CPcap
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINT ends a running live capture (see `InterruptSignal`).
extension LiveSource {
    /// Makes SIGINT end the running live capture(s) with `.interrupted` instead of killing the
    /// process. While no live capture runs, and on a second SIGINT, the default action applies
    /// (the process ends). Idempotent.
    public static func installInterruptHandler() {
        InterruptSignal.install()
    }

    /// Forgets an earlier SIGINT, so that a new capture can run (the request is otherwise sticky).
    public static func resetInterrupt() {
        InterruptSignal.reset()
    }

    /// True once SIGINT ended (or would end) a capture.
    public static var wasInterrupted: Bool { InterruptSignal.requested }
}

/// The process-wide SIGINT state: a flag, a count of running captures and a self-pipe that
/// wakes their `poll`. Set up once, before the handler is installed, and never freed.
enum InterruptSignal {
    private struct State {
        var flag: UnsafeMutablePointer<Int32>
        var active: UnsafeMutablePointer<Int32>
        var readFD: Int32
        var writeFD: Int32
        var installed: Bool
    }

    nonisolated(unsafe) private static var state: State = {
        let flag = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        flag.initialize(to: 0)
        let active = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        active.initialize(to: 0)
        let wake = wakePipe() ?? (read: -1, write: -1)
        return State(flag: flag, active: active, readFD: wake.read, writeFD: wake.write, installed: false)
    }()

    nonisolated(unsafe) private static let lock: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }()

    /// The pipe end a capture polls; -1 (ignored by poll) until the handler is installed.
    static var readFD: Int32 { state.installed ? state.readFD : -1 }

    static var requested: Bool { streamprobe_atomic_load(state.flag) != 0 }

    /// Captures running now (for tests).
    static var activeCaptures: Int32 { streamprobe_atomic_load(state.active) }

    static func enter() { _ = streamprobe_atomic_add(state.active, 1) }
    static func leave() { _ = streamprobe_atomic_add(state.active, -1) }

    static func install() {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        guard !state.installed else { return }
        state.installed = true
        signal(SIGINT, { _ in InterruptSignal.handle() })
    }

    static func reset() {
        streamprobe_atomic_store(state.flag, 0)
        LiveSource.drain(state.readFD)
    }

    /// Runs inside the signal handler: only async-signal-safe calls.
    private static func handle() {
        let savedErrno = errno
        defer { errno = savedErrno }
        if streamprobe_atomic_load(state.active) == 0 || streamprobe_atomic_exchange(state.flag, 1) != 0 {
            signal(SIGINT, SIG_DFL)
            raise(SIGINT)
            return
        }
        var byte: UInt8 = 1
        _ = write(state.writeFD, &byte, 1)
    }
}

/// A pipe whose ends are non-blocking and closed on exec: a `poll` waits on the read end, and a
/// write to the other (from any thread, or a signal handler) wakes it. Nil when pipe(2) fails.
func wakePipe() -> (read: Int32, write: Int32)? {
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { return nil }
    for fd in fds {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }
    return (fds[0], fds[1])
}
