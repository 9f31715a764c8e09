import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How CSV columns become features, label and group.
public struct TableOptions: Sendable {
    /// The label column (default `label`; when that is absent, a column named so in another case).
    public var labelColumn: String = "label"
    /// Columns dropped besides the automatic ones.
    public var ignoreColumns: Set<String> = []
    /// The group column for grouped cross-validation; nil: `capture` when present, else the file.
    public var groupColumn: String? = nil
    /// Evaluation and training need labels; prediction-only use does not.
    public var requireLabels: Bool = true

    public init(labelColumn: String = "label", ignoreColumns: Set<String> = [], groupColumn: String? = nil,
                requireLabels: Bool = true) {
        self.labelColumn = labelColumn; self.ignoreColumns = ignoreColumns; self.groupColumn = groupColumn
        self.requireLabels = requireLabels
    }
}

/// Loads CSV tables (scikit-learn / pandas style, or `streamprobe features` output) into a `TrainingTable`.
///
/// Rules: the first line names the columns. Dropped: an unnamed leading column (pandas' row index:
/// a row number is not a feature), the metadata columns of `streamprobe features`
/// (`capture, unit, window_index, start_s, end_s, start_epoch, end_epoch, packets, skipped`),
/// `--ignore-column`s, and any column with a value that is not a number (each noted). Empty cells and
/// `nan`/`NaN`/`NA` are missing values (NaN). Several files must share the feature columns (by name).
public enum TableLoader {
    public static let metadataColumns: [String] = [
        "capture", "unit", "window_index", "start_s", "end_s", "start_epoch", "end_epoch", "packets", "skipped",
    ]

    public struct Loaded: Sendable {
        public var table: TrainingTable
        /// Remarks for stderr: ignored columns and why.
        public var notes: [String]
    }

    public static func load(paths: [String], options: TableOptions = TableOptions()) throws(TableError) -> Loaded {
        guard !paths.isEmpty else { throw TableError(source: "streamprobe", problem: "no input tables given") }
        var tables: [TrainingTable] = []
        var notes: [String] = []
        for path in paths {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
                let exists = FileManager.default.fileExists(atPath: path)
                throw TableError(source: path, problem: exists ? "cannot be read" : "no such file")
            }
            let loaded = try parse(bytes: [UInt8](data), source: path,
                                   defaultGroup: URL(fileURLWithPath: path).lastPathComponent, options: options)
            if let first = tables.first {
                let (aligned, missing) = loaded.table.selecting(first.featureNames)
                guard let aligned else {
                    throw TableError(source: path, problem: "lacks feature column(s) \(missing.joined(separator: ", ")) that \(paths[0]) has")
                }
                let extra = Set(loaded.table.featureNames).subtracting(first.featureNames)
                if !extra.isEmpty { notes.append("\(path): ignored column(s) not in \(paths[0]): \(extra.sorted().joined(separator: ", "))") }
                tables.append(aligned)
            } else {
                tables.append(loaded.table)
            }
            notes += loaded.notes
        }
        return Loaded(table: TrainingTable.concatenate(tables)!, notes: notes)
    }

    /// Parses one CSV text. `defaultGroup` is every row's group when there is no group column.
    public static func parse(_ text: String, source: String, defaultGroup: String? = nil,
                             options: TableOptions = TableOptions()) throws(TableError) -> Loaded {
        try parse(bytes: Array(text.utf8), source: source, defaultGroup: defaultGroup, options: options)
    }

    public static func parse(bytes: [UInt8], source: String, defaultGroup: String? = nil,
                             options: TableOptions = TableOptions()) throws(TableError) -> Loaded {
        let csv = CSVBytes(bytes)
        guard csv.recordCount > 0 else { throw TableError(source: source, problem: "is empty") }
        let rowCount = csv.recordCount - 1
        guard rowCount > 0 else { throw TableError(source: source, problem: "has a header but no rows") }
        let names = (0..<csv.fieldCount(0)).map { csv.text(0, $0) }
        for r in 1..<csv.recordCount where csv.fieldCount(r) != names.count {
            throw TableError(source: source, problem: "line \(r + 1) has \(csv.fieldCount(r)) fields, the header has \(names.count)")
        }
        var notes: [String] = []
        var labelIndex = names.firstIndex(of: options.labelColumn)
        if labelIndex == nil {
            labelIndex = names.firstIndex { $0.lowercased() == options.labelColumn.lowercased() }
        }
        if labelIndex == nil && options.requireLabels {
            throw TableError(source: source, problem: "no label column \"\(options.labelColumn)\" (columns: \(names.joined(separator: ", "))); name it with --label-column")
        }
        var groupIndex: Int? = nil
        if let g = options.groupColumn {
            guard let i = names.firstIndex(of: g) else {
                throw TableError(source: source, problem: "no group column \"\(g)\" (columns: \(names.joined(separator: ", ")))")
            }
            groupIndex = i
        } else if let i = names.firstIndex(of: "capture") {
            groupIndex = i
        }
        var featureColumns: [Int] = []
        var nonNumeric: [String] = [], metadata: [String] = []
        var values: [[Double]] = []
        for (i, name) in names.enumerated() where i != labelIndex && i != groupIndex {
            if i == 0 && (name.isEmpty || name.hasPrefix("Unnamed: ")) {
                notes.append("\(source): ignored the unnamed first column (a row index, not a feature)")
                continue
            }
            if options.ignoreColumns.contains(name) { continue }
            if metadataColumns.contains(name) { metadata.append(name); continue }
            if name.isEmpty { notes.append("\(source): ignored column \(i + 1), which has no name"); continue }
            var column = [Double]()
            column.reserveCapacity(rowCount)
            var numeric = true
            for r in 1...rowCount {
                guard let v = csv.number(r, i) else { numeric = false; break }
                column.append(v)
            }
            if numeric { featureColumns.append(i); values.append(column) } else { nonNumeric.append(name) }
        }
        if !metadata.isEmpty { notes.append("\(source): metadata column(s) not used as features: \(metadata.joined(separator: ", "))") }
        if !nonNumeric.isEmpty { notes.append("\(source): ignored non-numeric column(s): \(nonNumeric.joined(separator: ", "))") }
        guard !featureColumns.isEmpty else { throw TableError(source: source, problem: "has no numeric feature columns") }
        let f = featureColumns.count
        var rows = [Double](repeating: 0, count: rowCount * f)
        for (j, column) in values.enumerated() { for r in 0..<rowCount { rows[r * f + j] = column[r] } }
        var labels: [String] = [], groups: [String] = []
        labels.reserveCapacity(rowCount); groups.reserveCapacity(rowCount)
        for r in 1...rowCount {
            var label = ""
            if let li = labelIndex {
                label = csv.text(r, li)
                if label.isEmpty { throw TableError(source: source, problem: "line \(r + 1) has no label") }
            }
            labels.append(label)
            groups.append(groupIndex.map { csv.text(r, $0) } ?? defaultGroup ?? source)
        }
        let featureNames = featureColumns.map { names[$0] }
        if let dup = ModelValidator.firstDuplicate(featureNames) {
            throw TableError(source: source, problem: "has two columns named \"\(dup)\"")
        }
        return Loaded(table: TrainingTable(featureNames: featureNames, rows: rows, labels: labels, groups: groups), notes: notes)
    }

    /// A number, NaN for a missing value, nil for text.
    static func parseNumber(_ field: String) -> Double? {
        let s = field.trimmingCharacters(in: .whitespaces)
        switch s {
        case "", "nan", "NaN", "NAN", "NA", "N/A", "null", "None": return .nan
        default: return Double(s)
        }
    }
}

/// A small RFC 4180 reader over bytes: commas, double-quoted fields with doubled quotes, CRLF or LF.
/// Fields are kept as byte ranges; numbers are parsed in place with `strtod`, without making strings.
struct CSVBytes {
    let bytes: [UInt8]
    /// Per record, the index of its first field in `starts`/`ends`.
    private(set) var recordStart: [Int] = []
    private(set) var starts: [Int] = []
    private(set) var ends: [Int] = []
    /// Fields that held quotes need unescaping when read as text.
    private(set) var quotedFields = Set<Int>()

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        let n = bytes.count
        var i = 0
        if n >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { i = 3 }  // UTF-8 BOM
        while i < n {
            recordStart.append(starts.count)
            // One record.
            while true {
                if i < n && bytes[i] == UInt8(ascii: "\"") {
                    quotedFields.insert(starts.count)
                    let s = i
                    i += 1
                    while i < n {
                        if bytes[i] == UInt8(ascii: "\"") {
                            if i + 1 < n && bytes[i + 1] == UInt8(ascii: "\"") { i += 2; continue }
                            i += 1
                            break
                        }
                        i += 1
                    }
                    while i < n && bytes[i] != UInt8(ascii: ",") && bytes[i] != UInt8(ascii: "\n") { i += 1 }
                    starts.append(s); ends.append(i)
                } else {
                    let s = i
                    while i < n && bytes[i] != UInt8(ascii: ",") && bytes[i] != UInt8(ascii: "\n") { i += 1 }
                    var e = i
                    if e > s && bytes[e - 1] == UInt8(ascii: "\r") { e -= 1 }
                    starts.append(s); ends.append(e)
                }
                if i < n && bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                i += 1  // newline or end
                break
            }
        }
        // Drop trailing blank records.
        while let last = recordStart.last, starts.count - last == 1, ends[last] == starts[last] {
            recordStart.removeLast(); starts.removeLast(); ends.removeLast()
        }
    }

    var recordCount: Int { recordStart.count }

    func fieldCount(_ r: Int) -> Int {
        (r + 1 < recordStart.count ? recordStart[r + 1] : starts.count) - recordStart[r]
    }

    /// The text of field `c` of record `r`, quotes removed, spaces trimmed.
    func text(_ r: Int, _ c: Int) -> String {
        let f = recordStart[r] + c
        var s = String(decoding: bytes[starts[f]..<ends[f]], as: UTF8.self)
        if quotedFields.contains(f) {
            s = s.trimmingCharacters(in: .whitespaces)
            if s.hasPrefix("\"") { s.removeFirst() }
            if let q = s.lastIndex(of: "\"") { s = String(s[..<q]) }
            s = s.replacingOccurrences(of: "\"\"", with: "\"")
        }
        return s.trimmingCharacters(in: .whitespaces)
    }

    /// The number in field `c` of record `r`: NaN for an empty or missing-value cell, nil for text.
    func number(_ r: Int, _ c: Int) -> Double? {
        let f = recordStart[r] + c
        var s = starts[f], e = ends[f]
        if quotedFields.contains(f) { return TableLoader.parseNumber(text(r, c)) }
        while s < e && (bytes[s] == 0x20 || bytes[s] == 0x09) { s += 1 }
        while e > s && (bytes[e - 1] == 0x20 || bytes[e - 1] == 0x09) { e -= 1 }
        let len = e - s
        if len == 0 { return .nan }
        if len > 63 { return TableLoader.parseNumber(text(r, c)) }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buf -> Double? in
            for j in 0..<len { buf[j] = CChar(bitPattern: bytes[s + j]) }
            buf[len] = 0
            let first = bytes[s]
            // strtod reads hex, "inf" and "nan" too; only decimal numbers and missing-value words count.
            if !(first >= 0x30 && first <= 0x39) && first != 0x2D && first != 0x2B && first != 0x2E {
                return TableLoader.parseNumber(text(r, c))
            }
            var end: UnsafeMutablePointer<CChar>? = nil
            let v = strtod(buf.baseAddress!, &end)
            guard let end, end - buf.baseAddress! == len else { return nil }
            if len > 1 && (bytes[s + 1] == UInt8(ascii: "x") || bytes[s + 1] == UInt8(ascii: "X")) { return nil }
            return v
        }
    }
}
