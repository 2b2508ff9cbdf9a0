// Build-time trainer of the triage classifier: multinomial logistic
// regression over the hashed features of care/triage_features.h, trained by
// averaged stochastic gradient descent. Deterministic: the example order comes
// from a fixed-seed mt19937 and our own Fisher-Yates (std::shuffle's algorithm
// is not specified), the arithmetic is single-threaded float.
//
//   lahza_triage_train CORPUS.tsv MODEL_OUT [--eval TEST.tsv]
//
// CORPUS lines are "category<TAB>text"; '#' lines are comments. The model is a
// text file (so cmake/embed.cmake can compile it in):
//   lahza-triage-model 1
//   scale 1000
//   classes <10 names>
//   <feature id hex> <10 weights as integers of 1/scale>      one line per feature with a non-zero weight
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "care/triage_features.h"

namespace {

using lahza::care::triage_internal::Features;
using lahza::care::triage_internal::kClassCount;
using lahza::care::triage_internal::kClassNames;

using Vec = std::array<float, kClassCount>;

struct Example {
  int label;
  std::vector<std::pair<uint32_t, float>> features;
};

int ClassIndex(const std::string& name) {
  for (int i = 0; i < kClassCount; ++i) {
    if (name == kClassNames[i]) return i;
  }
  return -1;
}

bool Load(const std::string& path, std::vector<Example>& out) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "cannot open " << path << "\n";
    return false;
  }
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    const int label = tab == std::string::npos ? -1 : ClassIndex(line.substr(0, tab));
    if (label < 0) {
      std::cerr << path << ":" << number << ": expected a known category, a tab and text\n";
      return false;
    }
    out.push_back({label, Features(line.substr(tab + 1))});
  }
  return true;
}

Vec Scores(const std::unordered_map<uint32_t, Vec>& weights, const Example& ex) {
  Vec s{};
  for (auto [id, value] : ex.features) {
    auto it = weights.find(id);
    if (it == weights.end()) continue;
    for (int k = 0; k < kClassCount; ++k) s[k] += it->second[k] * value;
  }
  return s;
}

int Argmax(const Vec& v) {
  int best = 0;
  for (int k = 1; k < kClassCount; ++k) {
    if (v[k] > v[best]) best = k;
  }
  return best;
}

void Evaluate(const std::unordered_map<uint32_t, Vec>& weights, const std::vector<Example>& test) {
  int correct = 0;
  std::array<std::array<int, kClassCount>, kClassCount> confusion{};
  for (const Example& ex : test) {
    const int got = Argmax(Scores(weights, ex));
    confusion[ex.label][got]++;
    correct += got == ex.label;
  }
  std::printf("accuracy %.3f (%d/%zu)\n", static_cast<double>(correct) / test.size(), correct, test.size());
  for (int k = 0; k < kClassCount; ++k) {
    int tp = confusion[k][k], predicted = 0, actual = 0;
    for (int j = 0; j < kClassCount; ++j) {
      predicted += confusion[j][k];
      actual += confusion[k][j];
    }
    const double p = predicted ? static_cast<double>(tp) / predicted : 0;
    const double r = actual ? static_cast<double>(tp) / actual : 0;
    std::printf("  %-28s P %.2f R %.2f F1 %.2f\n", kClassNames[k], p, r, p + r > 0 ? 2 * p * r / (p + r) : 0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 5) {
    std::cerr << "usage: lahza_triage_train CORPUS.tsv MODEL_OUT [--eval TEST.tsv]\n";
    return 2;
  }
  std::vector<Example> train;
  if (!Load(argv[1], train)) return 1;

  constexpr int kEpochs = 30;
  constexpr float kLearningRate = 1.0f;
  constexpr uint32_t kSeed = 20261125;
  // Weights below this change no decision on the held-out set (checked when
  // it was chosen); dropping them keeps the embedded model small.
  // Weights are written as integers of 1/kScale.
  constexpr int kScale = 1000;
  constexpr float kPrune = 0.01f;
  // Averaged SGD without touching every weight at every step: keep w and
  // u = sum of (step * update); the average after c steps is w - u / c.
  std::unordered_map<uint32_t, Vec> w, u;
  std::vector<size_t> order(train.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937 rng(kSeed);
  float step = 1;
  for (int epoch = 0; epoch < kEpochs; ++epoch) {
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
    const float lr = kLearningRate / (1.0f + 0.1f * static_cast<float>(epoch));
    for (size_t index : order) {
      const Example& ex = train[index];
      Vec s = Scores(w, ex);
      const float max = s[Argmax(s)];
      float z = 0;
      for (float& v : s) z += (v = std::exp(v - max));
      for (int k = 0; k < kClassCount; ++k) {
        const float gradient = s[k] / z - (k == ex.label ? 1.0f : 0.0f);
        if (std::fabs(gradient) < 1e-6f) continue;
        for (auto [id, value] : ex.features) {
          const float update = -lr * gradient * value;
          w[id][k] += update;
          u[id][k] += step * update;
        }
      }
      step += 1;
    }
  }
  std::unordered_map<uint32_t, Vec> averaged;
  for (auto& [id, vec] : w) {
    Vec a{};
    bool any = false;
    for (int k = 0; k < kClassCount; ++k) {
      a[k] = vec[k] - u[id][k] / step;
      if (std::fabs(a[k]) < kPrune) a[k] = 0; else any = true;
    }
    if (any) averaged[id] = a;
  }

  // Sorted output so the file is byte-for-byte reproducible.
  std::map<uint32_t, Vec> sorted(averaged.begin(), averaged.end());
  std::ostringstream out;
  out << "lahza-triage-model 1\nscale " << kScale << "\nclasses";
  for (const char* name : kClassNames) out << ' ' << name;
  out << '\n';
  char buf[32];
  for (auto& [id, vec] : sorted) {
    std::snprintf(buf, sizeof buf, "%08x", id);
    out << buf;
    for (float v : vec) {
      if (v == 0) {
        out << " 0";
      } else {
        out << ' ' << static_cast<long>(std::lround(v * kScale));
      }
    }
    out << '\n';
  }
  const std::string tmp = std::string(argv[2]) + ".tmp";
  {
    std::ofstream file(tmp, std::ios::binary);
    file << out.str();
    if (!file) {
      std::cerr << "cannot write " << tmp << "\n";
      return 1;
    }
  }
  if (std::rename(tmp.c_str(), argv[2]) != 0) {
    std::cerr << "cannot rename " << tmp << "\n";
    return 1;
  }
  std::fprintf(stderr, "triage model: %zu examples, %zu features, %zu bytes\n", train.size(), sorted.size(),
               out.str().size());
  if (argc == 5) {
    std::vector<Example> test;
    if (!Load(argv[4], test)) return 1;
    // Evaluate the rounded weights that were written, not the float ones.
    std::unordered_map<uint32_t, Vec> rounded;
    for (auto& [id, vec] : sorted) {
      Vec r{};
      for (int k = 0; k < kClassCount; ++k) r[k] = static_cast<float>(std::lround(vec[k] * kScale)) / kScale;
      rounded[id] = r;
    }
    Evaluate(rounded, test);
  }
  return 0;
}
