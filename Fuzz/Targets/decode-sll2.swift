// libFuzzer target: the frame decoder on Linux cooked v2 (SLL2) frames, then the flow table on what it decoded.
// Built and run by scripts/fuzz.sh (docs/fuzzing.md); not part of the package build.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzDecode(data, size, linkTypes: [276])   // Fuzz/Shared/DecodeTarget.swift
}
