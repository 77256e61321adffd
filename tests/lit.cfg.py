# lit configuration of xfc's IR and tool tests (dialect/, passes/, errors/).
import os
import lit.formats

config.name = "xfc"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "e2e", "unit", "fuzz", "CMakeLists.txt", "lit.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.xfc_obj_root, "tests")

config.environment["PATH"] = os.pathsep.join(
    [config.xfc_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", os.environ["PATH"])])
config.environment["PYTHONDONTWRITEBYTECODE"] = "1"
# Builds share one kernel cache in the build tree, never ~/.cache.
config.environment["XFC_CACHE_DIR"] = os.path.join(config.xfc_obj_root, "kernel-cache")
config.substitutions.append(("%python", "/usr/bin/python3"))
config.substitutions.append(("%e2e", os.path.join(config.xfc_src_root, "tests", "e2e")))
