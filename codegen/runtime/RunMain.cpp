//===- RunMain.cpp - the command line of a compiled model -------*- C++ -*-===//
//
// Implements the run contract of DESIGN.md: parse --input-ids (ragged
// batches; each sequence independent, positions from 0), check every id and
// length before any work, run the entry points (prefill + decode when the
// model was compiled with a KV-cache, else the whole sequence per token),
// write float32 .npy logits and print greedy continuations as one JSON line.
// Exit codes: 0 success, 2 usage error, 1 any other error.
//
//===----------------------------------------------------------------------===//

#include "codegen/runtime/Npy.h"
#include "codegen/runtime/Runtime.h"
#include "codegen/runtime/ThreadPool.h"
#include "codegen/runtime/Tokenizer.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

namespace xfrt {

namespace {

constexpr int kExitOk = 0, kExitError = 1, kExitUsage = 2;

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::vector<std::vector<int64_t>> parseIdBatch(const std::string &text, const char *flag) {
  std::vector<std::vector<int64_t>> batch;
  std::stringstream seqs(text);
  std::string seq;
  size_t count = 0;
  while (std::getline(seqs, seq, ';')) {
    ++count;
    std::vector<int64_t> ids;
    std::stringstream items(seq);
    std::string item;
    while (std::getline(items, item, ',')) {
      size_t b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
      std::string tok = b == std::string::npos ? "" : item.substr(b, e - b + 1);
      char *end = nullptr;
      errno = 0;
      long long v = tok.empty() ? 0 : std::strtoll(tok.c_str(), &end, 10);
      if (tok.empty() || *end != '\0' || errno == ERANGE)
        throw UsageError(std::string("malformed ") + flag + ": '" + tok + "' in sequence " +
                         std::to_string(count - 1) + " is not an integer");
      ids.push_back(v);
    }
    if (ids.empty())
      throw UsageError(std::string("malformed ") + flag + ": sequence " +
                       std::to_string(count - 1) + " is empty");
    batch.push_back(std::move(ids));
  }
  if (batch.empty() || (!text.empty() && text.back() == ';'))
    throw UsageError(std::string("malformed ") + flag + ": expected ids like \"1,2,3;4,5\"");
  return batch;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n == 0 ? 0 : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::atomic<bool> threadsSet{false};

/// The Halide thread pool's size: --threads, else XFC_NUM_THREADS, else
/// Halide's default (HL_NUM_THREADS or the number of cores).
void setThreads(std::optional<int> flag) {
  int n = 0;
  if (flag) {
    n = *flag;
  } else if (const char *env = std::getenv("XFC_NUM_THREADS"); env && *env) {
    char *end = nullptr;
    long v = std::strtol(env, &end, 10);
    if (*end != '\0' || v < 1 || v > 4096)
      throw UsageError(std::string("XFC_NUM_THREADS must be a positive integer, got '") + env +
                       "'");
    n = (int)v;
  }
  if (n <= 0) { // Halide's default: HL_NUM_THREADS, else every core
    const char *hl = std::getenv("HL_NUM_THREADS");
    n = hl && std::atoi(hl) > 0 ? std::atoi(hl) : (int)std::thread::hardware_concurrency();
  }
  n = std::max(1, n);
  halide_set_num_threads(n);
  resizeKernelThreadPool(n);
  halide_set_custom_do_par_for(kernelParFor);
  threadsSet = true;
}

int64_t argmaxRow(const float *row, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (row[i] > row[best])
      best = i;
  return best;
}

/// How the next token is chosen: greedy (temperature 0, the default), or
/// drawn from softmax(logits / temperature) restricted to the top-k tokens and
/// then to the smallest set whose probability reaches top-p, as Hugging Face's
/// generate() does; seeded, so a seed gives the same tokens on every run.
class Sampler {
public:
  Sampler(double temperature, int64_t topK, double topP, uint64_t seed)
      : temperature(temperature), topK(topK), topP(topP), rng(seed) {}

  int64_t pick(const float *row, int64_t n) {
    if (temperature <= 0.0)
      return argmaxRow(row, n);
    std::vector<int64_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    // Largest logits first; ties keep the lower id first.
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return row[a] > row[b]; });
    int64_t keep = topK > 0 ? std::min(topK, n) : n;
    std::vector<double> p(keep);
    double maxLogit = row[order[0]], sum = 0.0;
    for (int64_t i = 0; i < keep; ++i)
      sum += p[i] = std::exp((row[order[i]] - maxLogit) / temperature);
    if (topP < 1.0) {
      double cum = 0.0;
      int64_t k = 0;
      while (k < keep && cum < topP * sum)
        cum += p[k++];
      keep = std::max<int64_t>(k, 1);
      sum = cum > 0 ? cum : p[0];
    }
    double u = (double)(rng() >> 11) * 0x1.0p-53 * sum, cum = 0.0;
    for (int64_t i = 0; i < keep; ++i)
      if ((cum += p[i]) > u)
        return order[i];
    return order[keep - 1];
  }

private:
  double temperature;
  int64_t topK;
  double topP;
  std::mt19937_64 rng;
};

class Runner {
public:
  Runner(const ModelDesc &desc, const Entries &entries, Context &ctx)
      : desc(desc), entries(entries), ctx(ctx) {}

  /// Logits [1, S, V] of the prompt (of the decoder ids, for encoder-decoder
  /// models, whose encoder input is `encoderIds`); fills the caches when
  /// there are any.
  /// The time of the last prompt's @encode (encoder-decoders), in ms.
  double lastEncodeMs = 0.0;

  Tensor prompt(const std::vector<int64_t> &ids) {
    Tensor t = toTensor(ids);
    if (entries.encode) {
      resetCaches();
      Tensor enc = toTensor(encoderIds);
      auto start = std::chrono::steady_clock::now();
      entries.encode(ctx, enc);
      lastEncodeMs =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      return entries.prefillSeq2Seq(ctx, t, (int64_t)encoderIds.size());
    }
    if (entries.forwardSeq2Seq) {
      Tensor enc = toTensor(encoderIds);
      return entries.forwardSeq2Seq(ctx, enc, t);
    }
    if (entries.prefill) {
      resetCaches();
      return entries.prefill(ctx, t);
    }
    return entries.forward(ctx, t);
  }

  /// The continuation of `ids` whose prompt logits are `logits` (greedy unless
  /// a sampler is set); `onToken` sees each new token as it is made.
  std::vector<int64_t> generate(std::vector<int64_t> ids, const Tensor &logits, int64_t n,
                                const std::function<void(int64_t)> &onToken = {}) {
    std::vector<int64_t> out;
    int64_t v = desc.vocabSize;
    int64_t next = pick(logits.f32read() + (logits.dim(1) - 1) * v, v);
    while ((int64_t)out.size() < n) {
      out.push_back(next);
      if (onToken)
        onToken(next);
      if (isEos(next) || (int64_t)out.size() == n)
        break;
      ids.push_back(next);
      next = decodeStep(ids);
    }
    return out;
  }

  /// The greedy next token after `ids`, whose last token is not in the
  /// caches yet (a decode step, or a full recompute without caches).
  int64_t decodeStep(const std::vector<int64_t> &ids) {
    Tensor step;
    int64_t last = ids.back(), position = (int64_t)ids.size() - 1;
    if (entries.decode) {
      Tensor t = toTensor({last});
      step = entries.decode(ctx, t, position);
    } else if (entries.decodeSeq2Seq) {
      Tensor t = toTensor({last});
      step = entries.decodeSeq2Seq(ctx, t, position, (int64_t)encoderIds.size());
    } else {
      step = prompt(ids); // full recompute
    }
    return pick(step.f32read() + (step.dim(1) - 1) * desc.vocabSize, desc.vocabSize);
  }

  /// Times `n` decode steps after the prompt `ids` (whose logits are
  /// `logits`), eos ignored so every run decodes n tokens; returns the
  /// milliseconds of each step.
  std::vector<double> timeDecode(std::vector<int64_t> ids, const Tensor &logits, int64_t n) {
    std::vector<double> ms;
    int64_t v = desc.vocabSize;
    int64_t next = argmaxRow(logits.f32read() + (logits.dim(1) - 1) * v, v);
    for (int64_t k = 0; k < n && (int64_t)ids.size() < desc.maxSeq; ++k) {
      ids.push_back(next);
      auto start = std::chrono::steady_clock::now();
      next = decodeStep(ids);
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                             start)
                       .count());
    }
    return ms;
  }

  std::vector<int64_t> encoderIds;
  Sampler *sampler = nullptr;

private:
  const ModelDesc &desc;
  const Entries &entries;
  Context &ctx;

  int64_t pick(const float *row, int64_t n) {
    return sampler ? sampler->pick(row, n) : argmaxRow(row, n);
  }
  bool isEos(int64_t id) const {
    for (int64_t e : desc.eosTokenIds)
      if (e == id)
        return true;
    return false;
  }
  static Tensor toTensor(const std::vector<int64_t> &ids) {
    Tensor t = Tensor::i64({1, (int64_t)ids.size()});
    std::memcpy(t.i64data(), ids.data(), ids.size() * sizeof(int64_t));
    return t;
  }
  /// A new sequence's caches: allocated once and reused, since attention
  /// reads only the positions a sequence has written.
  void resetCaches() {
    if (ctx.caches.size() == desc.caches.size())
      return;
    ctx.caches.clear();
    for (const CacheDesc &c : desc.caches)
      ctx.caches.push_back(Tensor::f32({1, c.heads, c.capacity, c.headDim}));
  }
};

int run(int argc, char **argv, const ModelDesc &desc, const Entries &entries) {
  CLI::App app{std::string("xfc-compiled model '") + desc.name + "' (" + desc.kind + ")"};
  std::string inputIds, decoderIds, output, weights;
  std::optional<int64_t> maxNew;
  std::string promptText, promptFile, tokenizerPath;
  auto *idsOpt =
      app.add_option("--input-ids", inputIds, "token ids: \"1,2,3;4,5\" (';' between sequences)");
  auto *promptOpt = app.add_option("--prompt", promptText,
                                   "text to continue (encoders: to encode), read with the "
                                   "tokenizer.json beside the weights; the continuation is "
                                   "printed as text")
                        ->excludes(idsOpt);
  app.add_option("--prompt-file", promptFile, "read the --prompt text from this file")
      ->excludes(idsOpt)
      ->excludes(promptOpt);
  app.add_option("--tokenizer", tokenizerPath,
                 "tokenizer.json (or its folder) to use instead of the one beside the weights");
  std::optional<double> temperature, topP;
  std::optional<int64_t> topK;
  uint64_t seed = 0;
  app.add_option("--temperature", temperature, "sample with this temperature (0: greedy, the "
                                               "default)")
      ->check(CLI::Range(0.0, 100.0));
  app.add_option("--top-k", topK, "sample among the k most likely tokens only (0: all)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--top-p", topP, "sample among the most likely tokens whose probabilities "
                                  "add up to p (nucleus sampling)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--seed", seed, "seed of the sampler (default 0)");
  app.add_option("--decoder-input-ids", decoderIds, "decoder ids (encoder-decoder models only)");
  app.add_option("--max-new-tokens", maxNew, "greedy continuation of this many tokens")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--output", output, "write float32 .npy logits [batch, L, vocab]");
  app.add_option("--weights", weights, "checkpoint to load instead of the compiled-in one");
  bool stats = false;
  app.add_flag("--stats", stats, "print memory (weights, KV-cache, peak activations) and time "
                                 "on stderr");
  bool profile = false;
  app.add_flag("--profile", profile, "print the time spent in each kernel on stderr (with "
                                     "--bench: the timed runs only)");
  std::optional<int> threads, benchRuns;
  app.add_option("--threads", threads, "kernel threads (default: XFC_NUM_THREADS, else every "
                                       "core)")
      ->check(CLI::Range(1, 4096));
  app.add_option("--bench", benchRuns,
                 "time the prompts (and, for generative models, --max-new-tokens decode "
                 "steps, default 32) over this many runs after one warm-up; medians on stderr")
      ->check(CLI::Range(1, 1000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    std::cerr << app.help();
    return kExitOk;
  } catch (const CLI::ParseError &e) {
    std::cerr << argv[0] << ": error: " << e.what() << "\n";
    return kExitUsage;
  }

  bool seq2seq = std::string(desc.kind) == "encoder-decoder";
  bool textIn = app.count("--prompt") || app.count("--prompt-file");
  std::vector<std::vector<int64_t>> batch, decoderBatch;
  std::unique_ptr<Tokenizer> tokenizer;
  try {
    if (!textIn && !app.count("--input-ids"))
      throw UsageError("give the input as --input-ids, --prompt or --prompt-file");
    if ((topK || topP) && !temperature)
      throw UsageError("--top-k and --top-p shape sampling: give a --temperature above 0 too");
    if (!textIn)
      batch = parseIdBatch(inputIds, "--input-ids");
    if (app.count("--decoder-input-ids")) {
      if (!seq2seq)
        throw UsageError("--decoder-input-ids is only for encoder-decoder models; this model is "
                         "a " + std::string(desc.kind));
      decoderBatch = parseIdBatch(decoderIds, "--decoder-input-ids");
      if (decoderBatch.size() != batch.size())
        throw UsageError("--decoder-input-ids has " + std::to_string(decoderBatch.size()) +
                         " sequences, --input-ids has " + std::to_string(batch.size()));
    } else if (seq2seq) {
      decoderBatch.assign(batch.size(), {desc.decoderStartTokenId});
    }
  } catch (const UsageError &e) {
    std::cerr << argv[0] << ": error: " << e.what() << "\n";
    return kExitUsage;
  }
  if (textIn) {
    if (app.count("--prompt-file")) {
      std::ifstream in(promptFile, std::ios::binary);
      if (!in)
        throw Error("cannot read --prompt-file " + promptFile);
      std::stringstream buf;
      buf << in.rdbuf();
      promptText = buf.str();
    }
    std::string from = !tokenizerPath.empty() ? tokenizerPath
                       : !weights.empty()     ? weights
                                              : std::string(desc.checkpoint);
    tokenizer = Tokenizer::load(from, desc.vocabSize);
    std::vector<int64_t> ids = tokenizer->encode(promptText);
    if (ids.empty())
      throw Error("the prompt is empty: it has no tokens (" + tokenizer->describe() + ")");
    batch.push_back(ids);
    if (seq2seq)
      decoderBatch.assign(1, {desc.decoderStartTokenId});
    if (!maxNew && std::string(desc.kind) != "encoder")
      maxNew = std::min<int64_t>(64, desc.maxSeq - (seq2seq ? 1 : (int64_t)ids.size()));
    if (maxNew && *maxNew < 0)
      *maxNew = 0;
  }

  try {
    setThreads(threads);
  } catch (const UsageError &e) {
    std::cerr << argv[0] << ": error: " << e.what() << "\n";
    return kExitUsage;
  }
  bool encoder = std::string(desc.kind) == "encoder";
  if (maxNew && encoder) {
    std::cerr << argv[0] << ": error: --max-new-tokens needs a generative model; this model is "
              << "an encoder (its output is the last hidden state)\n";
    return kExitUsage;
  }
  int64_t n = maxNew.value_or(benchRuns && !encoder ? 32 : 0);
  for (size_t s = 0; s < decoderBatch.size(); ++s) {
    for (int64_t id : decoderBatch[s])
      if (id < 0 || id >= desc.vocabSize)
        throw Error("decoder token id " + std::to_string(id) + " in sequence " +
                    std::to_string(s) + " is out of the vocabulary (size " +
                    std::to_string(desc.vocabSize) + ")");
    if ((int64_t)decoderBatch[s].size() + n > desc.maxSeq)
      throw Error("decoder sequence " + std::to_string(s) + " has " +
                  std::to_string(decoderBatch[s].size()) + " tokens" +
                  (n ? " + " + std::to_string(n) + " new tokens" : std::string()) +
                  ", longer than the compiled maximum sequence length " +
                  std::to_string(desc.maxSeq));
  }
  for (size_t s = 0; s < batch.size(); ++s) {
    for (int64_t id : batch[s])
      if (id < 0 || id >= desc.vocabSize)
        throw Error("token id " + std::to_string(id) + " in sequence " + std::to_string(s) +
                    " is out of the vocabulary (size " + std::to_string(desc.vocabSize) + ")");
    int64_t total = (int64_t)batch[s].size() + (seq2seq ? 0 : n);
    if (total > desc.maxSeq)
      throw Error("sequence " + std::to_string(s) + " has " + std::to_string(batch[s].size()) +
                  " tokens" + (n ? " + " + std::to_string(n) + " new tokens" : std::string()) +
                  ", longer than the compiled maximum sequence length " +
                  std::to_string(desc.maxSeq));
  }

  auto start = std::chrono::steady_clock::now();
  Context ctx;
  useDevice(desc);
  ctx.params = loadParams(desc, weights.empty() ? desc.checkpoint : weights);
  int64_t weightBytes = MemoryCounters::live(), cacheBytes = 0;
  for (const CacheDesc &c : desc.caches)
    cacheBytes += c.heads * c.capacity * c.headDim * (int64_t)sizeof(float);
  MemoryCounters::resetPeak();
  auto loaded = std::chrono::steady_clock::now();
  Runner runner(desc, entries, ctx);
  std::optional<Sampler> sampler;
  if (temperature && *temperature > 0.0) {
    sampler.emplace(*temperature, topK.value_or(0), topP.value_or(1.0), seed);
    runner.sampler = &*sampler;
  }
  // --prompt: the continuation goes to stdout as text, token by token.
  std::optional<TextStream> stream;
  std::function<void(int64_t)> onToken;
  if (tokenizer && maxNew) {
    stream.emplace(*tokenizer);
    onToken = [&](int64_t id) {
      std::string piece = stream->push(id);
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
    };
  }

  // Rows of the output: the prompt (decoder ids for encoder-decoder models).
  std::vector<std::vector<int64_t>> &rows = seq2seq ? decoderBatch : batch;
  size_t longest = 0;
  for (auto &s : rows)
    longest = std::max(longest, s.size());
  // Rows of the output: logits (decoders) or the last hidden state (encoders).
  int64_t v = encoder ? desc.hiddenSize : desc.vocabSize;
  std::vector<float> logitsOut(batch.size() * longest * v, 0.0f);
  std::vector<std::vector<int64_t>> generated;
  // Encoders run the whole ragged batch at once, padded at the end; the
  // padded keys are masked by length and the padded rows zeroed below.
  Tensor paddedIds, lengths;
  KernelProfile::enable(profile && !benchRuns); // with --bench, only the timed runs count
  if (entries.forwardPadded) {
    int64_t b = (int64_t)batch.size(), l = (int64_t)longest;
    paddedIds = Tensor::i64({b, l});
    lengths = Tensor::i64({b});
    for (int64_t s = 0; s < b; ++s) {
      lengths.i64data()[s] = (int64_t)batch[s].size();
      std::memcpy(paddedIds.i64data() + s * l, batch[s].data(),
                  batch[s].size() * sizeof(int64_t));
    }
    Tensor out = entries.forwardPadded(ctx, paddedIds, lengths);
    if (out.rank() != 3 || out.dim(0) != b || out.dim(1) != l || out.dim(2) != v)
      throw Error("internal: the model returned an output of an unexpected shape");
    for (int64_t s = 0; s < b; ++s)
      std::memcpy(&logitsOut[s * l * v], out.f32read() + s * l * v,
                  batch[s].size() * v * sizeof(float));
  }
  for (size_t s = 0; s < rows.size() && !entries.forwardPadded; ++s) {
    if (seq2seq)
      runner.encoderIds = batch[s];
    Tensor logits = runner.prompt(rows[s]);
    if (logits.dim(0) != 1 || logits.dim(1) != (int64_t)rows[s].size() || logits.dim(2) != v)
      throw Error("internal: the model returned an output of an unexpected shape");
    std::memcpy(&logitsOut[s * longest * v], logits.f32read(), rows[s].size() * v * sizeof(float));
    if (maxNew)
      generated.push_back(runner.generate(rows[s], logits, n, onToken));
  }

  KernelProfile::enable(false);

  if (benchRuns) {
    // One warm-up run, then benchRuns timed ones: the prompts (the padded
    // batch for encoders), then n decode steps per sequence.
    std::vector<double> promptMs, encodeMs, stepMs;
    int64_t promptTokens = 0;
    for (auto &s : rows)
      promptTokens += (int64_t)s.size();
    for (int r = 0; r <= *benchRuns; ++r) {
      KernelProfile::enable(profile && r > 0); // the warm-up does not count
      KernelProfile::setPhase("prompt");
      auto start = std::chrono::steady_clock::now();
      std::vector<Tensor> logits;
      double encode = 0.0;
      if (entries.forwardPadded) {
        entries.forwardPadded(ctx, paddedIds, lengths);
      } else {
        for (size_t s = 0; s < rows.size(); ++s) {
          if (seq2seq)
            runner.encoderIds = batch[s];
          logits.push_back(runner.prompt(rows[s]));
          encode += runner.lastEncodeMs;
        }
      }
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                            start)
                      .count();
      std::vector<double> steps;
      for (size_t s = 0; s < logits.size() && n > 0; ++s) {
        if (seq2seq)
          runner.encoderIds = batch[s];
        if (rows.size() > 1) { // the caches hold the last prompt's: refill them, untimed
          KernelProfile::enable(false);
          logits[s] = runner.prompt(rows[s]);
        }
        KernelProfile::enable(profile && r > 0);
        KernelProfile::setPhase("decode");
        auto t = runner.timeDecode(rows[s], logits[s], n);
        steps.insert(steps.end(), t.begin(), t.end());
      }
      if (r == 0)
        continue; // warm-up
      promptMs.push_back(ms);
      encodeMs.push_back(encode);
      stepMs.insert(stepMs.end(), steps.begin(), steps.end());
    }
    auto [lo, hi] = std::minmax_element(promptMs.begin(), promptMs.end());
    std::fprintf(stderr,
                 "bench: prompt of %lld tokens in %zu sequence(s): median %.2f ms (min %.2f, "
                 "max %.2f) over %d runs\n",
                 (long long)promptTokens, rows.size(), median(promptMs), *lo, *hi, *benchRuns);
    if (entries.encode)
      std::fprintf(stderr, "bench: of which the encoder (@encode): median %.2f ms\n",
                   median(encodeMs));
    double step = median(stepMs);
    if (!stepMs.empty())
      std::fprintf(stderr,
                   "bench: decode: median %.3f ms per token, %.1f tokens/s (%zu steps over %d "
                   "runs)\n",
                   step, 1000.0 / step, stepMs.size(), *benchRuns);
    std::fprintf(stderr,
                 "bench-json: {\"runs\": %d, \"prompt_tokens\": %lld, \"prompt_ms\": %.3f, "
                 "\"encode_ms\": %.3f, \"decode_steps\": %zu, \"decode_ms_per_token\": %.4f}\n",
                 *benchRuns, (long long)promptTokens, median(promptMs),
                 entries.encode ? median(encodeMs) : 0.0, stepMs.size(),
                 stepMs.empty() ? 0.0 : step);
  }
  KernelProfile::enable(false);
  if (profile)
    KernelProfile::print();
  if (stats) {
    auto ms = [](auto a, auto b) {
      return std::chrono::duration<double, std::milli>(b - a).count();
    };
    auto done = std::chrono::steady_clock::now();
    auto mib = [](int64_t bytes) { return (double)bytes / (1024.0 * 1024.0); };
    int64_t activations = MemoryCounters::peak() - weightBytes - (desc.caches.empty() ? 0 : cacheBytes);
    std::fprintf(stderr,
                 "stats: weights %.2f MiB, KV-cache %.2f MiB per sequence, peak activations "
                 "%.2f MiB (planned buffers %.2f MiB in %zu, %.2f MiB without reuse); "
                 "load %.1f ms, run %.1f ms\n",
                 mib(weightBytes), mib(cacheBytes), mib(std::max<int64_t>(activations, 0)),
                 mib(ctx.arena.peakBytes()), ctx.arena.count(), mib(ctx.arena.peakCallBytes()),
                 ms(start, loaded), ms(loaded, done));
    if (deviceInUse()) {
      DeviceTraffic t = deviceTraffic();
      std::fprintf(stderr,
                   "stats: device transfers: %lld uploads (%.2f MiB), %lld downloads (%.2f MiB)\n",
                   (long long)t.uploads, mib(t.uploadBytes), (long long)t.downloads,
                   mib(t.downloadBytes));
    }
  }
  if (!output.empty()) {
    std::string err;
    if (!writeNpyF32(output, {(int64_t)batch.size(), (int64_t)longest, v}, logitsOut.data(), err))
      throw Error(err);
  }
  if (stream) {
    std::string rest = stream->finish() + "\n";
    std::fwrite(rest.data(), 1, rest.size(), stdout);
    std::fflush(stdout);
  } else if (maxNew) {
    std::string json = "{\"generated_ids\": [";
    for (size_t s = 0; s < generated.size(); ++s) {
      json += s ? ", [" : "[";
      for (size_t i = 0; i < generated[s].size(); ++i)
        json += (i ? ", " : "") + std::to_string(generated[s][i]);
      json += "]";
    }
    json += "]}\n";
    std::fwrite(json.data(), 1, json.size(), stdout);
    std::fflush(stdout);
  }
  return kExitOk;
}

} // namespace

void setKernelThreads(int n) {
  setThreads(n > 0 ? std::optional<int>(n) : std::nullopt);
}

void ensureKernelThreads() {
  if (!threadsSet)
    setThreads(std::nullopt);
}

int runMain(int argc, char **argv, const ModelDesc &desc, const Entries &entries) {
  // Everything the Halide runtime prints (its errors, the profiler's report
  // of a --target host-profile build) goes to stderr: stdout is for the JSON.
  halide_set_custom_print([](void *, const char *text) { std::fputs(text, stderr); });
  try {
    return run(argc, argv, desc, entries);
  } catch (const Error &e) {
    std::cerr << argv[0] << ": error: " << e.what() << "\n";
    return kExitError;
  } catch (const std::exception &e) {
    std::cerr << argv[0] << ": error: " << e.what() << "\n";
    return kExitError;
  }
}

} // namespace xfrt
