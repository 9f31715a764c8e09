// libFuzzer target: the TLS ClientHello reader (TLSClientHello.parse: records, a hello spread over
// several records, extensions, server_name), on the whole input and on a prefix — as the flow
// table asks again while the answer is `needMore`.
// Built and run by scripts/fuzz.sh (docs/fuzzing.md); not part of the package build.
import Flows

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: size == 0 ? nil : data, count: size)
    let whole = TLSClientHello.parse(bytes)
    switch whole {
    case .needMore(let atLeast): precondition(atLeast > size, "needMore must ask for more than it has")
    case .serverName(let name): precondition(!name.isEmpty && name.utf8.count <= size)
    case .noServerName, .notClientHello: break
    }
    if size > 1 {
        let prefix = UnsafeRawBufferPointer(rebasing: bytes[0..<(size / 2)])
        if case .needMore = TLSClientHello.parse(prefix) {} else {}
    }
    return 0
}
