// The accelerator catalogue: peak dense (non-sparse) FLOP/s per precision for the chips frontier
// models are trained on, each with the vendor document it comes from. It is data, not code: the
// figures live in the JSON literal below (the single copy) and can be replaced by a newer catalogue
// document at run time through `AcceleratorCatalogue(json:)`.
//
// Why dense: vendor datasheets headline "with sparsity" tensor figures that are twice the dense
// rate; training does not use 2:4 structured sparsity, so the hardware method must use dense peaks.

import Foundation
import Platform

public enum Precision: String, Sendable, Codable, CaseIterable, Equatable {
    case fp32, tf32, bf16, fp16, fp8
}

public struct Accelerator: Sendable, Equatable {
    public let id: String
    public let name: String
    public let aliases: [String]
    /// Peak dense FLOP/s per precision; a precision missing here has no published dense figure.
    public let peakDenseFLOPS: [Precision: Double]
    public let source: String

    public func peak(_ precision: Precision) -> Double? { peakDenseFLOPS[precision] }

    public var availablePrecisions: [Precision] { Precision.allCases.filter { peakDenseFLOPS[$0] != nil } }
}

public struct AcceleratorCatalogue: Sendable {
    public let accelerators: [Accelerator]

    /// Reads a catalogue document: `{"version": ..., "accelerators": [{id, name, aliases?, source,
    /// peak_dense_flops: {fp32?, tf32?, bf16?, fp16?, fp8?}}]}`.
    public init(json: Data) throws {
        let root = JSONCursor(try JSONValue.document(json))
        var result: [Accelerator] = []
        var seen = Set<String>()
        for entry in try root.required("accelerators").array() {
            let id = try entry.required("id").nonEmptyString()
            guard seen.insert(Self.normalise(id)).inserted else {
                throw FrontierError.invalidValue(path: "\(entry.path).id", reason: "duplicate accelerator id \"\(id)\"")
            }
            let aliases = try entry.optional("aliases")?.array().map { try $0.nonEmptyString() } ?? []
            let peaks = try entry.required("peak_dense_flops")
            var table: [Precision: Double] = [:]
            for key in try peaks.object().keys {
                guard let precision = Precision(rawValue: key) else {
                    throw FrontierError.invalidValue(path: "\(peaks.path).\(key)", reason: "unknown precision; use one of \(Precision.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                table[precision] = try peaks.required(key).positiveNumber()
            }
            guard !table.isEmpty else { throw FrontierError.invalidValue(path: peaks.path, reason: "needs at least one precision") }
            result.append(Accelerator(
                id: id, name: try entry.required("name").nonEmptyString(), aliases: aliases,
                peakDenseFLOPS: table, source: try entry.required("source").nonEmptyString()))
        }
        guard !result.isEmpty else { throw FrontierError.invalidValue(path: "$.accelerators", reason: "catalogue is empty") }
        accelerators = result
    }

    /// The catalogue shipped with the module.
    public static func builtin() throws -> AcceleratorCatalogue {
        try AcceleratorCatalogue(json: Data(builtinJSON.utf8))
    }

    /// Finds an accelerator by id, name or alias, ignoring case, spaces and punctuation, so
    /// "H100", "h100-sxm" and "NVIDIA H100 SXM5 80GB" all resolve.
    public func find(_ name: String) -> Accelerator? {
        let key = Self.normalise(name)
        guard !key.isEmpty else { return nil }
        return accelerators.first { a in
            ([a.id, a.name] + a.aliases).contains { Self.normalise($0) == key }
        }
    }

    public var knownNames: [String] { accelerators.map(\.id) }

    static func normalise(_ s: String) -> String {
        String(s.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) })
    }

    /// Figures in FLOP/s. NVIDIA and AMD publish tensor-core rates "with sparsity" alongside dense
    /// ones (or only the sparse one, marked with an asterisk); the dense value is half the sparse
    /// one and is what is recorded here. TPU figures are per chip.
    public static let builtinJSON = """
    {
      "version": "2026-06-01",
      "accelerators": [
        {
          "id": "nvidia-a100-sxm",
          "name": "NVIDIA A100 SXM",
          "aliases": ["A100", "NVIDIA A100", "A100 SXM", "NVIDIA A100 SXM4 80 GB", "NVIDIA A100 SXM4 40 GB", "A100 80GB", "A100 40GB"],
          "peak_dense_flops": {"fp32": 19.5e12, "tf32": 156e12, "bf16": 312e12, "fp16": 312e12},
          "source": "NVIDIA A100 Tensor Core GPU datasheet (2021), A100 SXM columns; TF32/BF16/FP16 tensor-core figures without sparsity"
        },
        {
          "id": "nvidia-h100-sxm",
          "name": "NVIDIA H100 SXM",
          "aliases": ["H100", "H100 SXM", "H100 SXM5", "NVIDIA H100", "NVIDIA H100 SXM5 80GB", "H100 80GB"],
          "peak_dense_flops": {"fp32": 67e12, "tf32": 494.7e12, "bf16": 989.4e12, "fp16": 989.4e12, "fp8": 1978.9e12},
          "source": "NVIDIA H100 Tensor Core GPU datasheet, H100 SXM column; tensor-core figures there are with sparsity, dense is half"
        },
        {
          "id": "nvidia-h800-sxm",
          "name": "NVIDIA H800 SXM",
          "aliases": ["H800", "H800 SXM", "NVIDIA H800 SXM5"],
          "peak_dense_flops": {"fp32": 67e12, "tf32": 494.7e12, "bf16": 989.4e12, "fp16": 989.4e12, "fp8": 1978.9e12},
          "source": "NVIDIA H800 Tensor Core GPU product brief, H800 SXM5: same tensor-core rates as H100 SXM (reduced interconnect only); dense is half the sparse figure"
        },
        {
          "id": "nvidia-h200-sxm",
          "name": "NVIDIA H200 SXM",
          "aliases": ["H200", "H200 SXM", "NVIDIA H200"],
          "peak_dense_flops": {"fp32": 67e12, "tf32": 494.7e12, "bf16": 989.4e12, "fp16": 989.4e12, "fp8": 1978.9e12},
          "source": "NVIDIA H200 Tensor Core GPU datasheet, H200 SXM column; tensor-core figures there are with sparsity, dense is half"
        },
        {
          "id": "nvidia-b200",
          "name": "NVIDIA B200",
          "aliases": ["B200", "NVIDIA B200 SXM", "HGX B200", "NVIDIA B200 GPUs"],
          "peak_dense_flops": {"fp32": 75e12, "tf32": 1.125e15, "bf16": 2.25e15, "fp16": 2.25e15, "fp8": 4.5e15},
          "source": "NVIDIA HGX B200 datasheet (8-GPU board: FP8 72 PFLOPS, FP16/BF16 36 PFLOPS, TF32 18 PFLOPS with sparsity; FP32 600 TFLOPS); per GPU = board / 8, dense = sparse / 2"
        },
        {
          "id": "amd-mi300x",
          "name": "AMD Instinct MI300X",
          "aliases": ["MI300X", "AMD MI300X", "Instinct MI300X"],
          "peak_dense_flops": {"fp32": 163.4e12, "tf32": 653.7e12, "bf16": 1307.4e12, "fp16": 1307.4e12, "fp8": 2614.9e12},
          "source": "AMD Instinct MI300X accelerator datasheet; peak matrix figures without structured sparsity"
        },
        {
          "id": "google-tpu-v4",
          "name": "Google TPU v4",
          "aliases": ["TPU v4", "TPUv4", "Google TPU v4"],
          "peak_dense_flops": {"bf16": 275e12},
          "source": "Google Cloud TPU documentation, TPU v4 system architecture: 275 TFLOPS peak bf16 per chip"
        },
        {
          "id": "google-tpu-v5p",
          "name": "Google TPU v5p",
          "aliases": ["TPU v5p", "TPUv5p", "Google TPU v5p"],
          "peak_dense_flops": {"bf16": 459e12},
          "source": "Google Cloud TPU documentation, TPU v5p: 459 TFLOPS peak bf16 per chip"
        },
        {
          "id": "nvidia-v100-sxm",
          "name": "NVIDIA V100 SXM2",
          "aliases": ["V100", "NVIDIA V100", "Tesla V100", "NVIDIA Tesla V100 DGXS 32 GB", "NVIDIA Tesla V100 DGXS 16 GB"],
          "peak_dense_flops": {"fp32": 15.7e12, "fp16": 125e12},
          "source": "NVIDIA Tesla V100 GPU datasheet, V100 SXM2 column (FP16 tensor-core 125 TFLOPS)"
        },
        {
          "id": "google-tpu-v3",
          "name": "Google TPU v3",
          "aliases": ["TPU v3", "TPUv3", "Google TPU v3"],
          "peak_dense_flops": {"bf16": 123e12},
          "source": "Google Cloud TPU documentation, TPU v3 system architecture: 123 TFLOPS peak bf16 per chip"
        }
      ]
    }
    """
}
