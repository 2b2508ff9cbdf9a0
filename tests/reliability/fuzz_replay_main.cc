// Replays a fuzz target's seed corpus in the ordinary build: every file
// (and every crash input that was ever fixed, kept in the same folder) is fed
// to LLVMFuzzerTestOneInput, so the corpora are regression tests in ./test
// without needing clang or libFuzzer. A property violation aborts the
// process, which ctest reports as a failure naming the file printed last.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR...\n", argv[0]);
    return 2;
  }
  size_t fed = 0;
  for (int i = 1; i < argc; ++i) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(argv[i])) {
      if (entry.is_regular_file() && entry.path().filename() != "README.md") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      std::ifstream in(file, std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::fprintf(stderr, "%s\n", file.c_str());
      // Copy into an exactly-sized heap buffer so ASan catches reads past the
      // end, as libFuzzer would.
      std::vector<uint8_t> buffer(bytes.begin(), bytes.end());
      LLVMFuzzerTestOneInput(buffer.empty() ? nullptr : buffer.data(), buffer.size());
      ++fed;
    }
  }
  std::printf("replayed %zu inputs\n", fed);
  // An empty corpus proves nothing; fail so a mistyped folder is noticed.
  return fed > 0 ? 0 : 1;
}
