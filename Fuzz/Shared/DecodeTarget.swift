// The body of the decode-* libFuzzer targets (one per link type family): the frame decoder, what it
// promises its callers, then the flow table on what it decoded. Compiled into each of them by
// scripts/fuzz.sh; not part of the package build.
import Flows
import Wire

func fuzzDecode(_ data: UnsafePointer<UInt8>?, _ size: Int, linkTypes: [Int32]) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: size == 0 ? nil : data, count: size)
    for linkType in linkTypes {
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
