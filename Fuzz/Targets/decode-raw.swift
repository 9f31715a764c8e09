// libFuzzer target: the frame decoder on raw IP (DLT_RAW 12 / LINKTYPE_RAW 101, IPv4-only 228, IPv6-only 229) frames, then the flow table on what it decoded.
// Built and run by scripts/fuzz.sh (docs/fuzzing.md); not part of the package build.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzDecode(data, size, linkTypes: [12, 101, 228, 229])   // Fuzz/Shared/DecodeTarget.swift
}
