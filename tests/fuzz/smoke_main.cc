// Runs a fuzz target without libFuzzer: every seed file, then a fixed number of deterministic
// mutations of them. Used as a quick smoke test in the ordinary (and sanitizer) test suite;
// the real fuzzing runs with clang's libFuzzer (scripts/fuzz.sh).
//
//   fuzz_smoke_X ITERATIONS SEED_PATH...    (a path may be a file or a folder)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

// Fragments that tend to reach deep into the grammars under test.
const char* const kDictionary[] = {
    "when ", " then ", " and ", " or ", "not ", "(", ")", "{", "}", "\"", ":", " .. ", "-",
    "1e309", "\n", "  ", "#", "ramp(", "known(", ", ", "cf ", "because ", "rule r: ", "\nrule ",
    "\nindicator x: number\n  title: \"t\"\n", "between 1 and 2", " in {a, b}", "[", "]",
    "- ", ": ", "&a ", "*a", "!!binary ", "~", "null", "\t", "\xff", "\0", "99999999999999999999",
    "service_areas:\n  - name: x\n", "observations:\n  a: 1\n", "{\"number\": ", "true", "NaN"};

class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_;
  }
  size_t Below(size_t n) { return n == 0 ? 0 : Next() % n; }

 private:
  uint64_t state_;
};

std::string Mutate(std::string input, Random& random) {
  int steps = 1 + static_cast<int>(random.Below(4));
  for (int s = 0; s < steps; ++s) {
    size_t at = random.Below(input.size() + 1);
    switch (random.Below(5)) {
      case 0:
        if (!input.empty() && at < input.size()) input[at] = static_cast<char>(random.Next());
        break;
      case 1:
        input.erase(at, random.Below(16));
        break;
      case 2:
        input.insert(at, input.substr(random.Below(input.size() + 1), random.Below(32)));
        break;
      case 3: {
        const char* word = kDictionary[random.Below(std::size(kDictionary))];
        input.insert(at, word);
        break;
      }
      default:
        input.resize(at);
        break;
    }
  }
  return input;
}

void AddSeeds(const std::filesystem::path& path, std::vector<std::string>& seeds) {
  if (std::filesystem::is_directory(path)) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) AddSeeds(file, seeds);
    return;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  seeds.push_back(text.str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: " << argv[0] << " ITERATIONS SEED_PATH...\n";
    return 2;
  }
  long iterations = std::strtol(argv[1], nullptr, 10);
  std::vector<std::string> seeds{""};
  for (int i = 2; i < argc; ++i) AddSeeds(argv[i], seeds);
  for (const std::string& seed : seeds) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(seed.data()), seed.size());
  }
  Random random(0x5eed1234abcdULL);
  int slow = 0;
  // FUZZ_SMOKE_LAST=FILE keeps the input being run in FILE, to reproduce a crash or a hang.
  const char* last_input = std::getenv("FUZZ_SMOKE_LAST");
  for (long i = 0; i < iterations; ++i) {
    std::string input = Mutate(seeds[random.Below(seeds.size())], random);
    if (last_input != nullptr) std::ofstream(last_input, std::ios::binary) << input;
    auto start = std::chrono::steady_clock::now();
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
    // A slow input is a finding too (a hang under real fuzzing): report it.
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (seconds > 5.0) {
      std::cerr << "mutation " << i << " took " << seconds << " s (" << input.size() << " bytes)\n";
      ++slow;
    }
  }
  std::cout << "ran " << seeds.size() << " seeds and " << iterations << " mutations, " << slow
            << " slow\n";
  return slow == 0 ? 0 : 1;
}
