// Fuzz target: the config.json importer (frontend/Importer.h) and the six
// family builders behind it. The input is a config.json; it is imported
// beside the weights of a small random checkpoint of the family its
// model_type names (made by tests/fuzz/make_checkpoints.sh, found through
// XFC_FUZZ_CHECKPOINTS), so that mutated sizes, flags and names reach the
// builders' checks against real weights. Contract checked: an import that
// fails says why; one that succeeds gives a module the verifier accepts.
#include "frontend/Importer.h"
#include "tests/fuzz/FuzzSupport.h"
#include "tools/InitAll.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <memory>

namespace fs = std::filesystem;

namespace {

fs::path checkpoints; // one folder per family
fs::path work;        // this process's model folder
std::unique_ptr<mlir::MLIRContext> context;
unsigned runsInContext = 0;

mlir::MLIRContext &freshContext() {
  // Attributes and types are interned for the context's lifetime: a new one
  // now and then keeps memory flat over millions of inputs.
  if (!context || ++runsInContext == 2000) {
    mlir::DialectRegistry registry;
    mlir::xf::registerAllDialects(registry);
    context = std::make_unique<mlir::MLIRContext>(registry);
    context->loadAllAvailableDialects();
    context->getDiagEngine().registerHandler([](mlir::Diagnostic &) { return mlir::success(); });
    runsInContext = 0;
  }
  return *context;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  const char *dir = std::getenv("XFC_FUZZ_CHECKPOINTS");
  if (!dir || !fs::is_directory(fs::path(dir) / "gpt2")) {
    std::fprintf(stderr, "fuzz-config-import: set XFC_FUZZ_CHECKPOINTS to the folder that "
                         "tests/fuzz/make_checkpoints.sh wrote\n");
    std::exit(2);
  }
  checkpoints = fs::absolute(dir);
  work = fs::temp_directory_path() / ("xfc-fuzz-config-" + std::to_string(::getpid()));
  fs::create_directories(work);
  std::atexit([] {
    std::error_code ec;
    fs::remove_all(work, ec);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // The family whose weights go beside it: its model_type if it names one.
  std::string family = "gpt2";
  nlohmann::json parsed = nlohmann::json::parse(data, data + size, nullptr, false);
  if (parsed.is_object()) {
    auto it = parsed.find("model_type");
    if (it != parsed.end() && it->is_string() &&
        fs::is_directory(checkpoints / it->get<std::string>()))
      family = it->get<std::string>();
  }
  {
    std::ofstream out(work / "config.json", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(data), std::streamsize(size));
  }
  std::error_code ec;
  fs::remove(work / "model.safetensors", ec);
  fs::create_symlink(checkpoints / family / "model.safetensors", work / "model.safetensors");

  mlir::MLIRContext &ctx = freshContext();
  std::string error;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::xf::importModel(ctx, work.string(), mlir::xf::ImportOptions{}, error);
  xf::fuzz::note(error);
  XF_FUZZ_CHECK(bool(module) == error.empty(), "a result and its message agree");
  if (module)
    XF_FUZZ_CHECK(mlir::succeeded(mlir::verify(*module)), "an imported module verifies");
  return 0;
}
