import CPcap
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The one owner of a libpcap handle: closes it, and turns libpcap's return codes and
/// error buffers into `CaptureError`s. Only this module sees libpcap.
final class PcapHandle {
    let pointer: OpaquePointer
    /// The path or interface the handle reads, for error messages.
    let source: String

    /// The stdio buffer of a savefile's FILE, freed after `pcap_close` closes the FILE.
    private let fileBuffer: UnsafeMutableRawPointer?

    init(pointer: OpaquePointer, source: String, fileBuffer: UnsafeMutableRawPointer? = nil) {
        self.pointer = pointer
        self.source = source
        self.fileBuffer = fileBuffer
    }

    /// The installed filter, kept to filter the packets libpcap does not read itself (see `matches`).
    private var program: UnsafeMutablePointer<bpf_program>?

    deinit {
        if let program {
            pcap_freecode(program)
            program.deallocate()
        }
        pcap_close(pointer)
        fileBuffer?.deallocate()
    }

    /// Size of the read buffer given to stdio for savefiles. Page-aligned and large: the kernel's
    /// copy into a destination misaligned by 16 bytes (what malloc gives stdio's default 4 KiB
    /// buffer) was measured 3x slower, and 256 KiB reads need 64x fewer system calls.
    static let fileBufferSize = 256 << 10

    /// An error buffer of libpcap's size; `body` receives its base address.
    static func withErrorBuffer<R>(_ body: (UnsafeMutablePointer<CChar>) throws(CaptureError) -> R) throws(CaptureError) -> R {
        var buffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let result: Result<R, CaptureError> = buffer.withUnsafeMutableBufferPointer { b in
            do throws(CaptureError) { return .success(try body(b.baseAddress!)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Opens a savefile (pcap or pcapng) with nanosecond timestamps. On failure returns libpcap's
    /// (or the system's) message.
    static func openOffline(path: String) -> Result<PcapHandle, LibpcapMessage> {
        guard let file = fopen(path, "rb") else {
            return .failure(LibpcapMessage(text: FileProbe.systemMessage(errno)))
        }
        return openOffline(file: file, source: path)
    }

    /// Reads an open descriptor from its start (a duplicate is read, so `descriptor` stays open).
    static func openOffline(descriptor: Int32, source: String) -> Result<PcapHandle, LibpcapMessage> {
        let copy = dup(descriptor)
        guard copy >= 0, lseek(copy, 0, SEEK_SET) == 0, let file = fdopen(copy, "rb") else {
            let message = FileProbe.systemMessage(errno)
            return .failure(LibpcapMessage(text: message))
        }
        return openOffline(file: file, source: source)
    }

    /// Takes ownership of `file` (closed with the handle, or here when libpcap refuses it).
    static func openOffline(file: UnsafeMutablePointer<FILE>, source path: String) -> Result<PcapHandle, LibpcapMessage> {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: fileBufferSize, alignment: 4096)
        setvbuf(file, buffer.assumingMemoryBound(to: CChar.self), _IOFBF, fileBufferSize)
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let pointer = errbuf.withUnsafeMutableBufferPointer { b in
            pcap_fopen_offline_with_tstamp_precision(file, UInt32(PCAP_TSTAMP_PRECISION_NANO), b.baseAddress!)
        }
        guard let pointer else {
            fclose(file)   // libpcap leaves the FILE to the caller when it fails
            buffer.deallocate()
            return .failure(LibpcapMessage(text: string(from: errbuf)))
        }
        return .success(PcapHandle(pointer: pointer, source: path, fileBuffer: buffer))
    }

    /// libpcap's last error text for this handle.
    var lastError: String { String(cString: pcap_geterr(pointer)) }

    var linkType: Int32 { pcap_datalink(pointer) }

    var linkTypeName: String { PcapHandle.linkTypeName(linkType) }

    static func linkTypeName(_ value: Int32) -> String {
        if let name = pcap_datalink_val_to_name(value) { return String(cString: name) }
        return "DLT_\(value)"
    }

    /// Compiles `expression` and installs it on the handle.
    func setFilter(_ expression: String, netmask: UInt32 = PCAP_NETMASK_UNKNOWN) throws(CaptureError) {
        let compiled = UnsafeMutablePointer<bpf_program>.allocate(capacity: 1)
        compiled.initialize(to: bpf_program())
        guard pcap_compile(pointer, compiled, expression, 1, netmask) == 0 else {
            compiled.deallocate()
            throw CaptureError(.badFilter, source: source, message: "bad filter \"\(expression)\": \(lastError)")
        }
        guard pcap_setfilter(pointer, compiled) == 0 else {
            pcap_freecode(compiled)
            compiled.deallocate()
            throw CaptureError(.badFilter, source: source, message: "cannot install filter \"\(expression)\": \(lastError)")
        }
        if let old = program {
            pcap_freecode(old)
            old.deallocate()
        }
        program = compiled
    }

    /// Whether a packet read outside libpcap passes the installed filter (true without one).
    func matches(_ packet: borrowing CapturedPacket) -> Bool {
        guard let program else { return true }
        var header = pcap_pkthdr()
        header.caplen = UInt32(truncatingIfNeeded: packet.capturedLength)
        header.len = UInt32(truncatingIfNeeded: packet.originalLength)
        guard let base = packet.bytes.baseAddress else { return pcap_offline_filter(program, &header, nil) != 0 }
        return pcap_offline_filter(program, &header, base.assumingMemoryBound(to: UInt8.self)) != 0
    }

    static func string(from buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// An error text from libpcap.
struct LibpcapMessage: Error {
    var text: String
}
