//===- xfc-tokenize.cpp - the compiled models' tokenizer, on its own -----===//
//
// Encodes text, or decodes ids, with the tokenizer a compiled model's
// --prompt uses (codegen/runtime/Tokenizer.h): a tokenizer.json, or a model
// folder (bytes when it has no tokenizer.json).
//
//   xfc-tokenize DIR|tokenizer.json --vocab-size N --text "Hello world"  -> [15496, 995]
//   xfc-tokenize DIR|tokenizer.json --vocab-size N --decode "15496,995"  -> Hello world
//
// Exit codes: 0 success, 2 usage error, 1 any other error.
//
//===----------------------------------------------------------------------===//

#include "codegen/runtime/Runtime.h"
#include "codegen/runtime/Tokenizer.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

int main(int argc, char **argv) {
  CLI::App app{"xfc-tokenize: text to token ids and back, as compiled models read --prompt"};
  std::string path, text, textFile, decode;
  int64_t vocab = 0;
  app.add_option("tokenizer", path, "tokenizer.json, or a model folder")->required();
  app.add_option("--vocab-size", vocab, "the model's vocabulary size")
      ->required()
      ->check(CLI::PositiveNumber);
  auto *t = app.add_option("--text", text, "text to encode");
  auto *f = app.add_option("--text-file", textFile, "file whose bytes to encode")->excludes(t);
  app.add_option("--decode", decode, "comma-separated ids to decode")->excludes(t)->excludes(f);
  try {
    app.parse(argc, argv);
    if (!app.count("--text") && !app.count("--text-file") && !app.count("--decode"))
      throw CLI::ValidationError("give --text, --text-file or --decode");
  } catch (const CLI::CallForHelp &) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError &e) {
    std::cerr << "xfc-tokenize: error: " << e.what() << "\n";
    return 2;
  }
  try {
    auto tok = xfrt::Tokenizer::load(path, vocab);
    if (app.count("--decode")) {
      std::vector<int64_t> ids;
      std::stringstream items(decode);
      std::string item;
      while (std::getline(items, item, ','))
        ids.push_back(std::stoll(item));
      std::string s = tok->decode(ids);
      std::fwrite(s.data(), 1, s.size(), stdout);
      return 0;
    }
    if (app.count("--text-file")) {
      std::ifstream in(textFile, std::ios::binary);
      if (!in)
        throw xfrt::Error("cannot read " + textFile);
      std::stringstream buf;
      buf << in.rdbuf();
      text = buf.str();
    }
    std::string out = "[";
    for (int64_t id : tok->encode(text))
      out += (out.size() > 1 ? ", " : "") + std::to_string(id);
    std::printf("%s]\n", out.c_str());
    return 0;
  } catch (const std::exception &e) {
    std::cerr << "xfc-tokenize: error: " << e.what() << "\n";
    return 1;
  }
}
