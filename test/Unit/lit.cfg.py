# -*- Python -*- gtest unit tests, run by lit as part of check-gptq.

import os

import lit.formats

config.name = "GPTQ-Unit"
config.suffixes = []
config.test_exec_root = os.path.join(config.gptq_obj_root, "test", "Unit")
config.test_source_root = config.test_exec_root
config.test_format = lit.formats.GoogleTest(".", "Tests")
config.environment["GPTQ_SRC_ROOT"] = config.gptq_src_root
for var in ("HOME", "TMPDIR", "OPENBLAS_NUM_THREADS"):
    if var in os.environ:
        config.environment[var] = os.environ[var]
