// libFuzzer target: the CSV table reader (TableLoader.parse: quoting, line ends, header, label,
// group and metadata columns, numbers), with and without a required label column.
// Built and run by scripts/fuzz.sh (docs/fuzzing.md); not part of the package build.
import Trees

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    for options in [TableOptions(), TableOptions(groupColumn: "capture", requireLabels: false)] {
        do {
            let loaded = try TableLoader.parse(bytes: bytes, source: "fuzz.csv", defaultGroup: "g", options: options)
            let table = loaded.table
            // The shape every consumer (trainer, evaluator) indexes by.
            precondition(table.rows.count == table.rowCount * table.featureCount, "rows do not match the shape")
            precondition(table.groups.count == table.rowCount, "one group per row")
            _ = table.classLabels
        } catch {
            precondition(error.description.hasPrefix("fuzz.csv: "))
        }
    }
    return 0
}
