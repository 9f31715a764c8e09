#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Giving up root once the capture device is open, as `tcpdump -Z USER` does: a process that
/// parses packets from the network should not hold root while it does.
public enum Privileges {
    /// The user a live capture drops to by default (tcpdump's choice too).
    public static let defaultUser = "nobody"

    /// What `drop(to:)` did.
    public enum Outcome: Sendable, Equatable {
        /// The process was not root: nothing to give up.
        case notRoot
        /// Asked to stay root (`--user root`).
        case keptRoot
        /// Now running as this user id and group id.
        case dropped(uid: UInt32, gid: UInt32)
        /// The default user does not exist on this system: still root (said in a warning).
        case noDefaultUser
    }

    /// When running as root, switches the process to `user` for good: supplementary groups set to
    /// the user's primary group, then the group id, then the user id (in that order: after setuid
    /// the others are no longer allowed), and checks that root cannot be taken back.
    /// `explicit`: the user asked for this account; when false (the default, `nobody`) a system
    /// without it keeps root and says so instead of refusing to capture.
    public static func drop(to user: String, explicit: Bool = true) throws(CaptureError) -> Outcome {
        guard geteuid() == 0 else { return .notRoot }
        guard let entry = getpwnam(user) else {
            if !explicit { return .noDefaultUser }
            throw CaptureError(.privilegeDrop, source: user, message: "no such user to run the capture as (give --user NAME, or --user root to stay root)")
        }
        let uid = entry.pointee.pw_uid, gid = entry.pointee.pw_gid
        if uid == 0 { return .keptRoot }
        var groups = [gid]
        guard setgroups(1, &groups) == 0, setgid(gid) == 0, setuid(uid) == 0 else {
            let code = errno
            throw CaptureError(.privilegeDrop, source: user, message: "cannot switch to this user: \(FileProbe.systemMessage(code))")
        }
        guard getuid() == uid, geteuid() == uid, getegid() == gid, setuid(0) != 0 else {
            throw CaptureError(.privilegeDrop, source: user, message: "root could be taken back after switching to this user; refusing to go on")
        }
        return .dropped(uid: uid, gid: gid)
    }
}
