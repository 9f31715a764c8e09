// libFuzzer target: the frame decoder on Linux cooked v2 (SLL2) frames, then the flow table on what it decoded.
// Built and run by scripts/fuzz.sh (docs/fuzzing.md); not part of the package build.
import Flows
import Wire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: size == 0 ? nil : data, count: size)
    for linkType: Int32 in [276] {
        let p = decode(linkType: LinkType(rawValue: linkType), bytes: bytes)
        // What the decoder promises its callers (Decoder.swift): offsets inside the captured bytes.
        if p.capturedPayloadLength > 0 {
            precondition(p.payloadOffset >= 0 && p.payloadOffset + p.capturedPayloadLength <= size, "payload outside the frame")
            precondition(p.capturedPayloadLength <= p.payloadLength, "captured payload longer than declared")
        }
        precondition(p.networkOffset >= 0 && p.networkOffset <= size, "network offset outside the frame")
        precondition(p.vlanCount <= 2)
        if p.hasPorts { precondition(p.transport == .tcp || p.transport == .udp) }
        _ = String(describing: p.anomaly)
        // The flow table reads the payload of what the decoder accepted (TLS ClientHello, DNS answers).
        var table = FlowTable(configuration: FlowTableConfiguration(keepFinished: true))
        for time in [1.0, 1.5] {
            _ = table.process(p, bytes: bytes, time: time, frameLength: size)
        }
        table.finish()
        _ = table.takeFinished()
    }
    return 0
}
