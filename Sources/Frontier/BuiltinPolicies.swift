// The threshold policies shipped with Clearinghouse, one JSON document per policy (version 1).
// These strings are the single copy of the data; `PolicySet.builtin()` parses them, and an
// administrator supersedes any of them at run time by loading a newer version of the document.
// Citations and the reading behind each counting rule are in each document's `source`, `notes`
// and `reason` fields so that they travel with every verdict.

import Foundation

enum BuiltinPolicies {
    static let eo14110 = """
    {
      "id": "eo-14110",
      "version": "1",
      "effective_date": "2023-10-30",
      "title": "Executive Order 14110, section 4.2(b) reporting thresholds",
      "source": "Executive Order 14110 of October 30, 2023, 'Safe, Secure, and Trustworthy Development and Use of Artificial Intelligence', 88 FR 75191, sec. 4.2(b)(i)",
      "notes": "Revoked on 2025-01-20 by Executive Order 14148; kept as a widely used reference proxy. The order gives no counting rules; Clearinghouse applies the training-run reading below.",
      "criteria": [
        {
          "id": "general",
          "kind": "training-compute",
          "role": "determinative",
          "comparison": "greater-than",
          "threshold": 1e+26,
          "unit": "operations",
          "applies_when": "always",
          "description": "trained using more than 10^26 integer or floating-point operations"
        },
        {
          "id": "biological-sequence",
          "kind": "training-compute",
          "role": "determinative",
          "comparison": "greater-than",
          "threshold": 1e+23,
          "unit": "operations",
          "applies_when": "primarily-biological",
          "description": "trained primarily on biological sequence data using more than 10^23 integer or floating-point operations"
        }
      ],
      "counting_rules": [
        {
          "category": "pre-training",
          "counts": true,
          "reason": "EO 14110 counts the computing power used to train the model"
        },
        {
          "category": "fine-tuning",
          "counts": true,
          "reason": "fine-tuning is training of the model"
        },
        {
          "category": "reinforcement-learning",
          "counts": true,
          "reason": "reinforcement learning is training of the model"
        },
        {
          "category": "synthetic-data-generation",
          "counts": false,
          "reason": "the order counts compute used to train the model; generating data does not itself train it"
        },
        {
          "category": "merged-or-initialised-weights",
          "counts": true,
          "reason": "compute embodied in the weights the model starts from was used to train those parameters"
        },
        {
          "category": "evaluation",
          "counts": false,
          "reason": "evaluating the model does not train it"
        },
        {
          "category": "failed-experiment",
          "counts": false,
          "reason": "compute of runs that did not produce this model did not train it"
        },
        {
          "category": "teacher-model",
          "counts": false,
          "reason": "training a separate teacher model is not training this model"
        },
        {
          "category": "reward-model",
          "counts": false,
          "reason": "training a separate reward model is not training this model"
        },
        {
          "category": "other",
          "counts": true,
          "reason": "counted conservatively until the developer reclassifies it"
        }
      ]
    }
    """

    static let euaiact = """
    {
      "id": "eu-ai-act",
      "version": "1",
      "effective_date": "2025-08-02",
      "title": "EU AI Act, Article 51: general-purpose AI models with systemic risk",
      "source": "Regulation (EU) 2024/1689 (AI Act), Art. 51(2) and Annex XIII; Commission Guidelines on the scope of the obligations for providers of general-purpose AI models, 18 July 2025 (counting rules, 10^23 FLOP indication, estimation accuracy)",
      "notes": "Art. 51(2) presumes high-impact capabilities when cumulative training compute exceeds 10^25 FLOP. The guidelines treat more than 10^23 FLOP (with language, text-to-image or text-to-video generation) as an indication of a general-purpose AI model, and accept estimates within ±30%.",
      "error_margin": 0.3,
      "criteria": [
        {
          "id": "systemic-risk-presumption",
          "kind": "training-compute",
          "role": "determinative",
          "comparison": "greater-than",
          "threshold": 1e+25,
          "unit": "FLOP",
          "applies_when": "always",
          "description": "cumulative training compute greater than 10^25 FLOP (Art. 51(2))"
        },
        {
          "id": "general-purpose-indication",
          "kind": "training-compute",
          "role": "indicative",
          "comparison": "greater-than",
          "threshold": 1e+23,
          "unit": "FLOP",
          "applies_when": "always",
          "description": "training compute greater than 10^23 FLOP indicates a general-purpose AI model (Commission guidelines)"
        }
      ],
      "counting_rules": [
        {
          "category": "pre-training",
          "counts": true,
          "reason": "the guidelines count all compute that directly contributed to the model's parameters, pre-training first"
        },
        {
          "category": "fine-tuning",
          "counts": true,
          "reason": "the guidelines count fine-tuning as part of cumulative training compute"
        },
        {
          "category": "reinforcement-learning",
          "counts": true,
          "reason": "reinforcement learning updates the model's parameters, which the guidelines count as training"
        },
        {
          "category": "synthetic-data-generation",
          "counts": true,
          "reason": "the guidelines count compute spent generating synthetic training data that is not publicly available"
        },
        {
          "category": "merged-or-initialised-weights",
          "counts": true,
          "reason": "compute embodied in weights the model was initialised from or merged with is cumulative training compute of the model"
        },
        {
          "category": "evaluation",
          "counts": false,
          "reason": "the guidelines exclude compute spent on evaluations"
        },
        {
          "category": "failed-experiment",
          "counts": false,
          "reason": "the guidelines exclude compute of failed or abandoned experiments that did not produce the model's parameters"
        },
        {
          "category": "teacher-model",
          "counts": false,
          "reason": "the guidelines exclude compute spent training teacher models used only to supervise this model"
        },
        {
          "category": "reward-model",
          "counts": false,
          "reason": "the guidelines exclude compute spent training reward models"
        },
        {
          "category": "other",
          "counts": true,
          "reason": "counted conservatively: compute not in a named category is presumed to contribute to training until the developer reclassifies it"
        }
      ]
    }
    """

    static let casb53 = """
    {
      "id": "ca-sb53",
      "version": "1",
      "effective_date": "2026-01-01",
      "title": "California SB 53, Transparency in Frontier Artificial Intelligence Act",
      "source": "California Senate Bill 53 (2025), Business and Professions Code sec. 22757.11 definitions of 'frontier model' and 'large frontier developer', chaptered 29 September 2025",
      "notes": "A frontier model is a foundation model trained using more than 10^26 integer or floating-point operations, counting the original training run, fine-tuning, reinforcement learning and other material modifications. A large frontier developer had annual gross revenues above $500,000,000 (with affiliates) in the preceding calendar year.",
      "criteria": [
        {
          "id": "frontier-model",
          "kind": "training-compute",
          "role": "determinative",
          "comparison": "greater-than",
          "threshold": 1e+26,
          "unit": "operations",
          "applies_when": "always",
          "description": "foundation model trained using more than 10^26 integer or floating-point operations"
        },
        {
          "id": "large-frontier-developer",
          "kind": "developer-revenue",
          "role": "indicative",
          "comparison": "greater-than",
          "threshold": 500000000.0,
          "description": "developer's annual gross revenue above $500,000,000 in the preceding calendar year"
        }
      ],
      "counting_rules": [
        {
          "category": "pre-training",
          "counts": true,
          "reason": "SB 53 counts the computing power of the original training run"
        },
        {
          "category": "fine-tuning",
          "counts": true,
          "reason": "SB 53 counts subsequent fine-tuning"
        },
        {
          "category": "reinforcement-learning",
          "counts": true,
          "reason": "SB 53 counts reinforcement learning"
        },
        {
          "category": "synthetic-data-generation",
          "counts": false,
          "reason": "SB 53 counts computing power used to train the model; generating data is not named and does not itself modify the model"
        },
        {
          "category": "merged-or-initialised-weights",
          "counts": true,
          "reason": "SB 53 counts other material modifications the developer applies to a preceding foundation model"
        },
        {
          "category": "evaluation",
          "counts": false,
          "reason": "evaluating the model does not train it"
        },
        {
          "category": "failed-experiment",
          "counts": false,
          "reason": "compute of runs that did not produce this model is not used to train it"
        },
        {
          "category": "teacher-model",
          "counts": false,
          "reason": "training a separate teacher model is not training this model"
        },
        {
          "category": "reward-model",
          "counts": false,
          "reason": "training a separate reward model is not training this model"
        },
        {
          "category": "other",
          "counts": true,
          "reason": "counted conservatively as a possible material modification until the developer reclassifies it"
        }
      ]
    }
    """

    static let nyraise = """
    {
      "id": "ny-raise",
      "version": "1",
      "effective_date": "2025-12-19",
      "title": "New York RAISE Act, as enacted with its chapter amendment",
      "source": "New York Responsible AI Safety and Education (RAISE) Act, S6953-B/A6453-B, signed 19 December 2025 with the agreed chapter amendment aligning its definitions with California SB 53",
      "notes": "As enacted, the frontier-model and large-developer definitions follow SB 53 (more than 10^26 operations including fine-tuning, reinforcement learning and material modifications; developer revenue above $500,000,000). Obligations apply from 1 January 2027.",
      "criteria": [
        {
          "id": "frontier-model",
          "kind": "training-compute",
          "role": "determinative",
          "comparison": "greater-than",
          "threshold": 1e+26,
          "unit": "operations",
          "applies_when": "always",
          "description": "model trained using more than 10^26 integer or floating-point operations"
        },
        {
          "id": "large-developer",
          "kind": "developer-revenue",
          "role": "indicative",
          "comparison": "greater-than",
          "threshold": 500000000.0,
          "description": "developer's annual gross revenue above $500,000,000"
        }
      ],
      "counting_rules": [
        {
          "category": "pre-training",
          "counts": true,
          "reason": "the RAISE Act as amended (aligned with SB 53) counts the computing power of the original training run"
        },
        {
          "category": "fine-tuning",
          "counts": true,
          "reason": "the RAISE Act as amended (aligned with SB 53) counts subsequent fine-tuning"
        },
        {
          "category": "reinforcement-learning",
          "counts": true,
          "reason": "the RAISE Act as amended (aligned with SB 53) counts reinforcement learning"
        },
        {
          "category": "synthetic-data-generation",
          "counts": false,
          "reason": "the RAISE Act as amended (aligned with SB 53) counts computing power used to train the model; generating data is not named and does not itself modify the model"
        },
        {
          "category": "merged-or-initialised-weights",
          "counts": true,
          "reason": "the RAISE Act as amended (aligned with SB 53) counts other material modifications the developer applies to a preceding foundation model"
        },
        {
          "category": "evaluation",
          "counts": false,
          "reason": "evaluating the model does not train it"
        },
        {
          "category": "failed-experiment",
          "counts": false,
          "reason": "compute of runs that did not produce this model is not used to train it"
        },
        {
          "category": "teacher-model",
          "counts": false,
          "reason": "training a separate teacher model is not training this model"
        },
        {
          "category": "reward-model",
          "counts": false,
          "reason": "training a separate reward model is not training this model"
        },
        {
          "category": "other",
          "counts": true,
          "reason": "counted conservatively as a possible material modification until the developer reclassifies it"
        }
      ]
    }
    """

    static let eo14409 = """
    {
      "id": "eo-14409",
      "version": "1",
      "effective_date": "2026-06-02",
      "title": "Executive Order 14409, covered frontier model (capability-based)",
      "source": "Executive Order 14409 of June 2, 2026, 'Promoting Advanced Artificial Intelligence Innovation and Security', sec. 3(a)-(b)",
      "notes": "Covered-frontier-model criteria are capability scores from benchmark suites with thresholds set by the government through the classified benchmarking process of sec. 3(a). Administrators publish them as a new version of this policy.",
      "unset_explanation": "no capability thresholds set: the government has not published covered-frontier-model thresholds to this installation, so no verdict can be reached; the designation itself is recorded by reviewers",
      "criteria": [],
      "counting_rules": []
    }
    """

    static let documents = [eo14110, euaiact, casb53, nyraise, eo14409]
}

/// The shipped policy documents as text, so an administrator (or a test) can start a new version
/// from the current one.
public enum FrontierPolicyDocuments {
    public static var ids: [String] { (try? PolicySet.builtin().ids) ?? [] }

    /// The shipped document of `id`, or empty data for an unknown id.
    public static func builtin(id: String) -> Data {
        let prefix = "\"id\": \"\(id)\""
        return Data((BuiltinPolicies.documents.first { $0.contains(prefix) } ?? "").utf8)
    }
}
