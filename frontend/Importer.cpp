//===- Importer.cpp - checkpoints to xf modules -----------------*- C++ -*-===//
//
// Reads config.json, dispatches on model_type to the family's builder, and
// opens the checkpoint the builder checks every weight against.
//
//===----------------------------------------------------------------------===//

#include "frontend/Importer.h"
#include "frontend/BertBuilder.h"
#include "frontend/GPT2Builder.h"
#include "frontend/LlamaBuilder.h"
#include "frontend/T5Builder.h"

#include <filesystem>

using namespace mlir;
using namespace mlir::xf;
namespace fs = std::filesystem;

OwningOpRef<ModuleOp> mlir::xf::importModel(MLIRContext &context, const std::string &path,
                                            const ImportOptions &options,
                                            std::string &error) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    error = "cannot open " + path + ": No such file or directory";
    return nullptr;
  }
  if (fs::is_regular_file(path, ec) && fs::path(path).extension() == ".gguf") {
    // A llama-architecture GGUF file: tensors under HF names and layout (Q/K
    // rows un-permuted, quantised blocks dequantised when loaded), and an HF
    // LlamaConfig made from its metadata.
    auto checkpoint = ::xf::readers::Checkpoint::open(path, error);
    if (!checkpoint)
      return nullptr;
    nlohmann::json config;
    if (!::xf::readers::ggufLlamaConfig(*checkpoint, config, error))
      return nullptr;
    return buildLlama(context, "llama", config, *checkpoint, options, error);
  }
  if (!fs::is_directory(path, ec)) {
    error = path + " is not a Hugging Face model folder (expected a directory "
                   "with config.json and model.safetensors) or a .gguf file";
    return nullptr;
  }
  nlohmann::json config;
  if (!::xf::readers::readJsonFile((fs::path(path) / "config.json").string(), config, error))
    return nullptr;
  if (!config.is_object()) {
    error = path + "/config.json: expected a JSON object";
    return nullptr;
  }
  auto it = config.find("model_type");
  if (it == config.end() || !it->is_string()) {
    error = path + "/config.json: missing string field 'model_type'";
    return nullptr;
  }
  std::string modelType = it->get<std::string>();
  if (modelType != "gpt2" && modelType != "llama" && modelType != "mistral" &&
      modelType != "mixtral" && modelType != "bert" && modelType != "t5") {
    error = path + "/config.json: model_type '" + modelType +
            "' is not supported (supported: bert, gpt2, llama, mistral, mixtral, t5)";
    return nullptr;
  }
  auto checkpoint = ::xf::readers::Checkpoint::open(path, error);
  if (!checkpoint)
    return nullptr;
  if (modelType == "gpt2")
    return buildGPT2(context, config, *checkpoint, options, error);
  if (modelType == "bert")
    return buildBert(context, config, *checkpoint, options, error);
  if (modelType == "t5")
    return buildT5(context, config, *checkpoint, options, error);
  return buildLlama(context, modelType, config, *checkpoint, options, error);
}
