"""Stage 1: new measurements. The only stage that imports torch, onnx or a prover.

- :mod:`~chasm.experiments.models`        torch modules of the model families
- :mod:`~chasm.experiments.modules`       single operations and miniature Llamas for layouts
- :mod:`~chasm.experiments.ezkl_gateway`  every call to ezkl: run arguments, settings, calibration, SRS
- :mod:`~chasm.experiments.prove`         one proof in a child process, phase by phase
- :mod:`~chasm.experiments.soundness`     verifying a kept proof, and forging wrong ones
- :mod:`~chasm.experiments.inference`     timing torch forward passes (``python -m chasm infer``)
- :mod:`~chasm.experiments.memory_guard`  estimating a run's peak memory before it starts
- :mod:`~chasm.experiments.sweep`         resumable sweeps (``python -m chasm sweep``)
- :mod:`~chasm.experiments.curation`      re-timing inference, dropping contended runs
- :mod:`~chasm.experiments.layouts`       circuit layouts without proving (``python -m chasm layouts``)
- :mod:`~chasm.experiments.opsupport`     which building blocks ezkl can prove, probed live
- :mod:`~chasm.experiments.overhead`      the harness's own cost (``python -m chasm overhead``)
"""
