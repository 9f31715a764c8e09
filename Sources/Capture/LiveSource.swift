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
                duration: Double? = nil, savePath: String? = nil, runAs user: String? = nil,
                userIsExplicit: Bool = true) throws(CaptureError) {
        let interfaces = try LiveSource.interfaceList()
        let device = try LiveSource.device(named: interface, among: interfaces)
        name = device
        self.duration = duration
        let (h, wantNano) = try LiveSource.activate(device, snaplen: snaplen, promiscuous: promiscuous, interfaces: interfaces)
        handle = h
        nanosecondScale = wantNano && pcap_get_tstamp_precision(h.pointer) == Int32(PCAP_TSTAMP_PRECISION_NANO) ? 1 : 1000
        linkType = h.linkType
        linkTypeName = h.linkTypeName
        if let filter { try LiveSource.apply(filter, to: h) }
        selectableFD = try LiveSource.pollableDescriptor(h)
        guard let wake = wakePipe() else {
            throw CaptureError(.io, source: device, message: "cannot create pipe: \(FileProbe.systemMessage(errno))")
        }
        wakeRead = wake.read
        wakeWrite = wake.write
        stopFlag = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        stopFlag.initialize(to: 0)

        if let savePath {
            dumper = try LiveSource.openDump(h.pointer, path: savePath)
            savedReader = open(savePath, O_RDONLY | O_CLOEXEC)
        }
        savedPath = savePath
        if let user { privileges = try Privileges.drop(to: user, explicit: userIsExplicit) }
        if privileges == .noDefaultUser {
            warnings.append("no user '\(user ?? "")' on this system: the capture ran as root (give -Z USER to run as another user)")
        }
    }

    /// The interface named (which must exist), or the default one.
    private static func device(named interface: String?, among interfaces: [InterfaceInfo]) throws(CaptureError) -> String {
        guard let interface else { return try defaultInterface(interfaces) }
        guard interfaces.contains(where: { $0.name == interface }) else {
            throw CaptureError(.noSuchInterface, source: interface, message: "no such interface (available: \(listText(interfaces)))")
        }
        return interface
    }

    /// Creates and activates the capture: snap length, promiscuous mode, 100 ms read timeout, immediate
    /// mode, an 8 MiB buffer, nanosecond timestamps when offered (the second value: whether asked for
    /// successfully). A failed activation becomes the error that names its cause.
    private static func activate(_ device: String, snaplen: Int32, promiscuous: Bool,
                                 interfaces: [InterfaceInfo]) throws(CaptureError) -> (PcapHandle, Bool) {
        let pointer = try PcapHandle.withErrorBuffer { (errbuf) throws(CaptureError) -> OpaquePointer in
            guard let p = pcap_create(device, errbuf) else {
                throw CaptureError(.interfaceUnusable, source: device, message: "cannot open for capture: \(String(cString: errbuf))")
            }
            return p
        }
        let h = PcapHandle(pointer: pointer, source: device)
        _ = pcap_set_snaplen(pointer, snaplen)
        _ = pcap_set_promisc(pointer, promiscuous ? 1 : 0)
        _ = pcap_set_timeout(pointer, 100)
        _ = pcap_set_immediate_mode(pointer, 1)
        _ = pcap_set_buffer_size(pointer, 8 << 20)
        let wantNano = pcap_set_tstamp_precision(pointer, Int32(PCAP_TSTAMP_PRECISION_NANO)) == 0

        let status = pcap_activate(pointer)
        guard status < 0 else { return (h, wantNano) }
        let detail = status == PCAP_ERROR ? h.lastError : String(cString: pcap_statustostr(status))
        switch status {
        case PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED:
            throw CaptureError(.capturePermissionDenied, source: device,
                               message: "permission denied: live capture needs root or the CAP_NET_RAW capability (\(detail))")
        case PCAP_ERROR_NO_SUCH_DEVICE:
            throw CaptureError(.noSuchInterface, source: device, message: "no such interface (available: \(listText(interfaces)))")
        case PCAP_ERROR_IFACE_NOT_UP:
            throw CaptureError(.interfaceUnusable, source: device, message: "interface is down")
        default:
            throw CaptureError(.interfaceUnusable, source: device, message: "cannot capture: \(detail)")
        }
    }

    /// Compiles the BPF filter with the interface's netmask (unknown when it has no IPv4 address).
    private static func apply(_ filter: String, to h: PcapHandle) throws(CaptureError) {
        var net: bpf_u_int32 = 0
        var mask: bpf_u_int32 = 0
        let found = try PcapHandle.withErrorBuffer { (errbuf) throws(CaptureError) -> Bool in
            pcap_lookupnet(h.source, &net, &mask, errbuf) == 0
        }
        try h.setFilter(filter, netmask: found ? mask : PCAP_NETMASK_UNKNOWN)
    }

    /// Switches the capture to non-blocking reads and returns the descriptor to poll.
    private static func pollableDescriptor(_ h: PcapHandle) throws(CaptureError) -> Int32 {
        let nonblock = try PcapHandle.withErrorBuffer { (errbuf) throws(CaptureError) -> Int32 in
            pcap_setnonblock(h.pointer, 1, errbuf)
        }
        guard nonblock == 0 else {
            throw CaptureError(.interfaceUnusable, source: h.source, message: "cannot switch to non-blocking mode: \(h.lastError)")
        }
        return pcap_get_selectable_fd(h.pointer)
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
        try forEachPacket(body, idle: { _ in })
    }

    public func forEachPacket(_ body: (borrowing CapturedPacket) throws -> Bool, idle: (Double) throws -> Void) throws -> SourceEnd {
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
            let interval = Int32(Self.idleInterval * 1000)
            var timeout = interval
            if let deadline {
                let remaining = deadline - LiveSource.monotonicNow()
                if remaining <= 0 { return .timeLimit }
                timeout = Int32(min(Double(interval), (remaining * 1000).rounded(.up)))
            }
            if selectableFD < 0 { timeout = min(timeout, 10) }   // no pollable descriptor: wake often
            let ready = poll(&polls, nfds_t(polls.count), timeout)
            if ready < 0 && errno != EINTR {
                throw CaptureError(.io, source: name, message: "poll failed: \(FileProbe.systemMessage(errno))")
            }
            if polls[1].revents != 0 { LiveSource.drain(wakeRead) }
            // No packet for an interval: the time it is, for windows that end while their stream is silent
            // (the kernel stamps packets with the same clock). Packets that keep coming move the clock themselves.
            if ready == 0 { try idle(LiveSource.wallNow()) }
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

    /// The time of day, seconds since the epoch (the clock packets are stamped with).
    static func wallNow() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    static func monotonicNow() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
