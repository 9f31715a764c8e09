import CPcap
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Packets from a network interface, through libpcap (needs root or CAP_NET_RAW).
///
/// The capture ends on time even when no packet arrives: the loop polls the capture's
/// descriptor with a timeout computed from the remaining duration. `stop()` (from any
/// thread) or SIGINT (after `installInterruptHandler()`) ends it early with `.interrupted`.
/// With `savePath`, every captured packet is also written to a pcap file created with mode 0600.
public final class LiveSource: PacketSource, @unchecked Sendable {
    public let name: String
    public let linkType: Int32
    public let linkTypeName: String
    /// Seconds to capture for; nil captures until stopped.
    public let duration: Double?
    /// The file the packets are saved to, if any.
    public let savedPath: String?
    /// Packets delivered so far (updated when `forEachPacket` returns).
    public private(set) var packetsCaptured: Int = 0
    /// Problems that did not stop the capture (e.g. the save file could not be written), one line each.
    public private(set) var warnings: [String] = []
    public var endsOnTheClock: Bool { true }
    /// Live captures have no length to measure progress against.
    public var bytesRead: Int64 { 0 }
    /// What became of root once the device and the save file were open.
    public private(set) var privileges: Privileges.Outcome = .notRoot
    /// The save file opened for reading before privileges were dropped (it is mode 0600, owned by
    /// the user who started the capture, and may sit in a directory the dropped user cannot enter).
    private var savedReader: Int32 = -1

    let handle: PcapHandle
    private let selectableFD: Int32
    /// 1 when libpcap gives nanoseconds, 1000 when it falls back to microseconds.
    private let nanosecondScale: UInt32
    private var dumper: OpaquePointer?
    /// Set by `stop()`; read with atomic loads. Allocated so its address is stable.
    private let stopFlag: UnsafeMutablePointer<Int32>
    /// A non-blocking pipe that `stop()` writes to, so that `poll` wakes at once.
    private let wakeRead: Int32
    private let wakeWrite: Int32

    /// Opens `interface` (or the first interface that is up, running and not loopback) for capture.
    ///
    /// `runAs`: when the process is root, the user it switches to once the device and the save file
    /// are open (nil: stay as it is).
    public init(interface: String?, snaplen: Int32 = 262_144, promiscuous: Bool = false, filter: String? = nil,
                duration: Double? = nil, savePath: String? = nil, runAs user: String? = nil) throws(CaptureError) {
        let interfaces = try LiveSource.interfaceList()
        let device: String
        if let interface {
            guard interfaces.contains(where: { $0.name == interface }) else {
                throw CaptureError(.noSuchInterface, source: interface,
                                   message: "no such interface (available: \(LiveSource.listText(interfaces)))")
            }
            device = interface
        } else {
            device = try LiveSource.defaultInterface(interfaces)
        }
        name = device
        self.duration = duration

        let pointer = try PcapHandle.withErrorBuffer { (errbuf) throws(CaptureError) -> OpaquePointer in
            guard let p = pcap_create(device, errbuf) else {
                throw CaptureError(.interfaceUnusable, source: device, message: "cannot open for capture: \(String(cString: errbuf))")
            }
            return p
        }
        let h = PcapHandle(pointer: pointer, source: device)
        handle = h
        _ = pcap_set_snaplen(pointer, snaplen)
        _ = pcap_set_promisc(pointer, promiscuous ? 1 : 0)
        _ = pcap_set_timeout(pointer, 100)
        _ = pcap_set_immediate_mode(pointer, 1)
        _ = pcap_set_buffer_size(pointer, 8 << 20)
        let wantNano = pcap_set_tstamp_precision(pointer, Int32(PCAP_TSTAMP_PRECISION_NANO)) == 0

        let status = pcap_activate(pointer)
        if status < 0 {
            let detail = status == PCAP_ERROR ? h.lastError : String(cString: pcap_statustostr(status))
            switch status {
            case PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED:
                throw CaptureError(.capturePermissionDenied, source: device,
                                   message: "permission denied: live capture needs root or the CAP_NET_RAW capability (\(detail))")
            case PCAP_ERROR_NO_SUCH_DEVICE:
                throw CaptureError(.noSuchInterface, source: device,
                                   message: "no such interface (available: \(LiveSource.listText(interfaces)))")
            case PCAP_ERROR_IFACE_NOT_UP:
                throw CaptureError(.interfaceUnusable, source: device, message: "interface is down")
            default:
                throw CaptureError(.interfaceUnusable, source: device, message: "cannot capture: \(detail)")
            }
        }
        nanosecondScale = wantNano && pcap_get_tstamp_precision(pointer) == Int32(PCAP_TSTAMP_PRECISION_NANO) ? 1 : 1000
        linkType = h.linkType
        linkTypeName = h.linkTypeName

        if let filter {
            var net: bpf_u_int32 = 0
            var mask: bpf_u_int32 = 0
            let found = try PcapHandle.withErrorBuffer { (errbuf) throws(CaptureError) -> Bool in
                pcap_lookupnet(device, &net, &mask, errbuf) == 0
            }
            try h.setFilter(filter, netmask: found ? mask : PCAP_NETMASK_UNKNOWN)
        }
        let nonblock = try PcapHandle.withErrorBuffer { (errbuf) throws(CaptureError) -> Int32 in
            pcap_setnonblock(pointer, 1, errbuf)
        }
        guard nonblock == 0 else {
            throw CaptureError(.interfaceUnusable, source: device, message: "cannot switch to non-blocking mode: \(h.lastError)")
        }
        selectableFD = pcap_get_selectable_fd(pointer)

        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw CaptureError(.io, source: device, message: "cannot create pipe: \(FileProbe.systemMessage(errno))")
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        stopFlag = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        stopFlag.initialize(to: 0)

        if let savePath {
            dumper = try LiveSource.openDump(pointer, path: savePath)
            savedReader = open(savePath, O_RDONLY | O_CLOEXEC)
        }
        savedPath = savePath
        if let user { privileges = try Privileges.drop(to: user) }
    }

    /// The saved capture, opened for reading (after the capture ended), through the descriptor
    /// opened before privileges were dropped.
    public func reopenSaved(filter: String?) throws(CaptureError) -> FileSource {
        guard let savedPath, savedReader >= 0 else {
            throw CaptureError(.io, source: name, message: "the live capture was not saved to a file")
        }
        flushDump()
        return try FileSource(descriptor: savedReader, name: savedPath, filter: filter)
    }

    deinit {
        if savedReader >= 0 { close(savedReader) }
        if let dumper { pcap_dump_close(dumper) }
        close(wakeRead)
        close(wakeWrite)
        stopFlag.deallocate()
    }

    /// Creates `path` with mode 0600 (also when it already existed) and opens a pcap dumper on it.
    private static func openDump(_ pointer: OpaquePointer, path: String) throws(CaptureError) -> OpaquePointer {
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, mode_t(0o600))
        guard fd >= 0 else {
            let code = errno
            throw CaptureError(code == EACCES ? .permissionDenied : .io, source: path,
                               message: "cannot create the capture file: \(FileProbe.systemMessage(code))")
        }
        // An existing file keeps its mode through O_CREAT: force 0600, on regular files only
        // (never chmod a device or FIFO the user named, like /dev/stdout).
        var st = stat()
        if fstat(fd, &st) == 0 && st.st_mode & S_IFMT == S_IFREG { _ = fchmod(fd, mode_t(0o600)) }
        guard let file = fdopen(fd, "w") else {
            let code = errno
            close(fd)
            throw CaptureError(.io, source: path, message: "cannot open the capture file: \(FileProbe.systemMessage(code))")
        }
        guard let d = pcap_dump_fopen(pointer, file) else {
            let message = String(cString: pcap_geterr(pointer))
            fclose(file)
            throw CaptureError(.io, source: path, message: "cannot write the capture file: \(message)")
        }
        return d
    }

    /// Ends a running (or the next) `forEachPacket` with `.interrupted`. Safe from any thread and
    /// from a signal handler (an atomic store, a write(2) and `pcap_breakloop`).
    public func stop() {
        streamprobe_atomic_store(stopFlag, 1)
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        pcap_breakloop(handle.pointer)
    }

    private var stopRequested: Bool {
        streamprobe_atomic_load(stopFlag) != 0 || InterruptSignal.requested
    }

    /// Packets the kernel dropped because the capture did not keep up, if libpcap can tell.
    public var kernelDrops: Int? {
        var stats = pcap_stat()
        guard pcap_stats(handle.pointer, &stats) == 0 else { return nil }
        return Int(stats.ps_drop)
    }

    public func forEachPacket(_ body: (borrowing CapturedPacket) throws -> Bool) throws -> SourceEnd {
        let p = handle.pointer
        let deadline = duration.map { LiveSource.monotonicNow() + $0 }
        let scale = nanosecondScale
        let dumpUser: UnsafeMutablePointer<UInt8>? = dumper.map { UnsafeMutablePointer<UInt8>($0) }
        var header: UnsafeMutablePointer<pcap_pkthdr>? = nil
        var data: UnsafePointer<UInt8>? = nil
        var count = 0
        var lastFlush = LiveSource.monotonicNow()
        var polls = [
            pollfd(fd: selectableFD, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
            pollfd(fd: InterruptSignal.readFD, events: Int16(POLLIN), revents: 0),
        ]
        InterruptSignal.enter()
        defer {
            InterruptSignal.leave()
            packetsCaptured += count
            flushDump()
        }
        while true {
            if stopRequested { return .interrupted }
            // Everything that is ready, without blocking.
            while true {
                let rc = pcap_next_ex(p, &header, &data)
                if rc == 1 {
                    let h = header.unsafelyUnwrapped
                    if let dumpUser { pcap_dump(dumpUser, h, data) }
                    let caplen = Int(h.pointee.caplen)
                    let packet = CapturedPacket(
                        timestamp: PacketTimestamp(
                            seconds: Int64(h.pointee.ts.tv_sec),
                            nanoseconds: UInt32(truncatingIfNeeded: h.pointee.ts.tv_usec) &* scale),
                        capturedLength: caplen,
                        originalLength: Int(h.pointee.len),
                        bytes: UnsafeRawBufferPointer(start: data, count: caplen))
                    count += 1
                    if try !body(packet) { return .stopped }
                    if stopRequested { return .interrupted }
                    if let deadline, LiveSource.monotonicNow() >= deadline { return .timeLimit }
                    continue
                }
                if rc == 0 { break }
                if rc == PCAP_ERROR_BREAK { return .interrupted }
                let message = handle.lastError
                let total = packetsCaptured + count
                if total == 0 {
                    throw CaptureError(.interfaceUnusable, source: name, message: "capture failed: \(message)")
                }
                return .truncated("\(name): capture failed after \(total) packet\(total == 1 ? "" : "s"); the packets before were analysed (\(message))")
            }
            // Idle for now: push saved packets to the file, at most twice a second.
            let now = LiveSource.monotonicNow()
            if dumper != nil && now - lastFlush >= 0.5 {
                flushDump()
                lastFlush = now
            }
            var timeout: Int32 = 1000
            if let deadline {
                let remaining = deadline - LiveSource.monotonicNow()
                if remaining <= 0 { return .timeLimit }
                timeout = Int32(min(1000, (remaining * 1000).rounded(.up)))
            }
            if selectableFD < 0 { timeout = min(timeout, 10) }   // no pollable descriptor: wake often
            let ready = poll(&polls, nfds_t(polls.count), timeout)
            if ready < 0 && errno != EINTR {
                throw CaptureError(.io, source: name, message: "poll failed: \(FileProbe.systemMessage(errno))")
            }
            if polls[1].revents != 0 { LiveSource.drain(wakeRead) }
        }
    }

    /// Pushes saved packets to the file; a write error becomes one warning (the capture goes on).
    private func flushDump() {
        guard let dumper else { return }
        let flushFailed = pcap_dump_flush(dumper) != 0
        let code = errno
        // A failed fwrite inside pcap_dump leaves the stream's error flag set, not a failed flush.
        guard flushFailed || pcap_dump_file(dumper).map({ ferror($0) != 0 }) ?? false else { return }
        let reason = flushFailed ? FileProbe.systemMessage(code) : "write error"
        let prefix = "\(savedPath ?? "capture file"): cannot write the saved capture: "
        if !warnings.contains(where: { $0.hasPrefix(prefix) }) { warnings.append(prefix + reason) }
    }

    static func drain(_ fd: Int32) {
        var buffer = (UInt64(0), UInt64(0))
        while withUnsafeMutableBytes(of: &buffer, { read(fd, $0.baseAddress, $0.count) }) > 0 {}
    }

    static func monotonicNow() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    // MARK: Interfaces

    struct InterfaceInfo {
        var name: String
        var flags: UInt32
        var hasAddresses: Bool

        /// D-Bus, Bluetooth, USB and netfilter-queue capture devices.
        var isMonitorDevice: Bool {
            ["nflog", "nfqueue", "dbus", "usbmon", "bluetooth"].contains { name.hasPrefix($0) }
        }
    }

    static func interfaceList() throws(CaptureError) -> [InterfaceInfo] {
        var list: UnsafeMutablePointer<pcap_if_t>? = nil
        try PcapHandle.withErrorBuffer { (errbuf) throws(CaptureError) -> Void in
            if pcap_findalldevs(&list, errbuf) != 0 {
                throw CaptureError(.interfaceUnusable, source: "interfaces", message: "cannot list interfaces: \(String(cString: errbuf))")
            }
        }
        defer { if let list { pcap_freealldevs(list) } }
        var result: [InterfaceInfo] = []
        var node = list
        while let n = node {
            result.append(InterfaceInfo(name: String(cString: n.pointee.name), flags: n.pointee.flags,
                                        hasAddresses: n.pointee.addresses != nil))
            node = n.pointee.next
        }
        return result
    }

    /// The names of the interfaces libpcap can capture on (empty if they cannot be listed).
    /// Leaves out the devices that never carry network traffic (D-Bus, Bluetooth, USB monitors,
    /// netfilter queues); they can still be named explicitly.
    public static func availableInterfaces() -> [String] {
        ((try? interfaceList()) ?? []).filter { !$0.isMonitorDevice }.map(\.name)
    }

    /// Devices skipped when choosing the default interface.
    private static let pseudoDevicePrefixes = ["any", "nflog", "nfqueue", "dbus", "usbmon", "bluetooth", "dpdk"]

    /// The first interface that is up, running and not loopback, preferring those with addresses.
    static func defaultInterface(_ interfaces: [InterfaceInfo]) throws(CaptureError) -> String {
        let candidates = interfaces.filter { i in
            i.flags & UInt32(PCAP_IF_UP) != 0 && i.flags & UInt32(PCAP_IF_RUNNING) != 0
                && i.flags & UInt32(PCAP_IF_LOOPBACK) == 0
                && !pseudoDevicePrefixes.contains { i.name.hasPrefix($0) }
        }
        if let best = candidates.first(where: \.hasAddresses) ?? candidates.first { return best.name }
        throw CaptureError(.interfaceUnusable, source: "interfaces",
                           message: "no interface is up and running (available: \(listText(interfaces))); choose one with -i")
    }

    /// "eth0, any, lo, ifb0 (down)": the capturable interfaces for an error message.
    /// The interfaces a live capture can open, one line each as `tcpdump -D` prints them:
    /// `1.eth0 [Up, Running]` (monitor devices such as nflog and usbmon left out).
    public static func interfaceLines() throws(CaptureError) -> [String] {
        let shown = try interfaceList().filter { !$0.isMonitorDevice }
        return shown.enumerated().map { i, f in
            var flags: [String] = []
            if f.flags & UInt32(PCAP_IF_UP) != 0 { flags.append("Up") }
            if f.flags & UInt32(PCAP_IF_RUNNING) != 0 { flags.append("Running") }
            if f.flags & UInt32(PCAP_IF_LOOPBACK) != 0 { flags.append("Loopback") }
            return "\(i + 1).\(f.name)" + (flags.isEmpty ? "" : " [\(flags.joined(separator: ", "))]")
        }
    }

    static func listText(_ interfaces: [InterfaceInfo]) -> String {
        let shown = interfaces.filter { !$0.isMonitorDevice }
        if shown.isEmpty { return "none" }
        return shown.map { $0.flags & UInt32(PCAP_IF_UP) == 0 ? "\($0.name) (down)" : $0.name }.joined(separator: ", ")
    }

    // MARK: SIGINT

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
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
        }
        return State(flag: flag, active: active, readFD: fds[0], writeFD: fds[1], installed: false)
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
