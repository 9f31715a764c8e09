import CPcap

/// The one owner of a libpcap handle: closes it, and turns libpcap's return codes and
/// error buffers into `CaptureError`s. Only this module sees libpcap.
@usableFromInline
final class PcapHandle {
    @usableFromInline let pointer: OpaquePointer
    /// The path or interface the handle reads, for error messages.
    let source: String

    init(pointer: OpaquePointer, source: String) {
        self.pointer = pointer
        self.source = source
    }

    deinit { pcap_close(pointer) }

    /// An error buffer of libpcap's size; `body` receives its base address.
    static func withErrorBuffer<R>(_ body: (UnsafeMutablePointer<CChar>) throws(CaptureError) -> R) throws(CaptureError) -> R {
        var buffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let result: Result<R, CaptureError> = buffer.withUnsafeMutableBufferPointer { b in
            do throws(CaptureError) { return .success(try body(b.baseAddress!)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Opens a savefile (pcap or pcapng) with nanosecond timestamps. On failure returns libpcap's message.
    static func openOffline(path: String) -> Result<PcapHandle, LibpcapMessage> {
        var buffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let pointer = buffer.withUnsafeMutableBufferPointer { b in
            pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_NANO), b.baseAddress!)
        }
        guard let pointer else { return .failure(LibpcapMessage(text: string(from: buffer))) }
        return .success(PcapHandle(pointer: pointer, source: path))
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
        var program = bpf_program()
        guard pcap_compile(pointer, &program, expression, 1, netmask) == 0 else {
            throw CaptureError(.badFilter, source: source, message: "bad filter \"\(expression)\": \(lastError)")
        }
        defer { pcap_freecode(&program) }
        guard pcap_setfilter(pointer, &program) == 0 else {
            throw CaptureError(.badFilter, source: source, message: "cannot install filter \"\(expression)\": \(lastError)")
        }
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
