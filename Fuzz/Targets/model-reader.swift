// libFuzzer target: the model file reader, JSON or compiled (TreeModel.decode(bytes:source:): JSON
// parser or compiled-form reader, schema, validation of the trees), then what a loaded model must do
// without trapping: predict on a row of zeros and a row of NaNs, write itself back out as JSON that
// reads again, and (from JSON) compile to a form that reads as the same model.
// Built and run by scripts/fuzz.sh (docs/fuzzing.md); not part of the package build.
import Foundation
import Trees

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let json = size == 0 ? Data() : Data(bytes: data!, count: size)
    let model: TreeModel
    do {
        model = try TreeModel.decode(bytes: json, source: "fuzz.json")
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
    if !CompiledModel.isCompiled(json) {
        do {
            let compiled = try TreeModel.decode(compiled: try CompiledModel.compile(json: json, source: "fuzz.json"), source: "fuzz.spmodel")
            for value in [0.0, 1.0, Double.nan] {
                let row = [Double](repeating: value, count: model.featureNames.count)
                let (a, b) = (model.predict(row), compiled.predict(row))
                precondition(a.classIndex == b.classIndex && a.probabilities.elementsEqual(b.probabilities) { $0 == $1 || ($0.isNaN && $1.isNaN) },
                             "the compiled form predicts differently")
            }
        } catch {
            preconditionFailure("a model read from JSON does not compile and read back: \(error)")
        }
    }
    return 0
}
