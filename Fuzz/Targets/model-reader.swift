// libFuzzer target: the model file reader (TreeModel.decode(json:source:): JSON parser, schema,
// validation of the trees), then what a loaded model must do without trapping: predict on a row of
// zeros and a row of NaNs, and write itself back out as JSON that reads again.
// Built and run by scripts/fuzz.sh (docs/fuzzing.md); not part of the package build.
import Foundation
import Trees

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let json = size == 0 ? Data() : Data(bytes: data!, count: size)
    let model: TreeModel
    do {
        model = try TreeModel.decode(json: json, source: "fuzz.json")
    } catch {
        precondition(!error.description.isEmpty)
        return 0
    }
    for value in [0.0, Double.nan, -1e300] {
        let p = model.predict([Double](repeating: value, count: model.featureNames.count))
        precondition(p.classIndex >= 0 && p.classIndex < model.classes.count)
    }
    let text = model.jsonText()
    do {
        _ = try TreeModel.decode(json: text, source: "fuzz-rewritten.json")
    } catch {
        preconditionFailure("a model that was read cannot be read back after writing: \(error)")
    }
    return 0
}
