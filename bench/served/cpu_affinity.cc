#include "bench/served/cpu_affinity.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace align::bench {

std::vector<int> AllowedCpus() { return CpusOf(0); }

std::vector<int> CpusOf(pid_t pid) {
  std::vector<int> cpus;
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(pid, sizeof mask, &mask) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &mask)) cpus.push_back(cpu);
  }
  return cpus;
}

std::string DescribeCpus(const std::string& who, const std::vector<int>& cpus) {
  if (cpus.empty()) return absl::StrCat(who, " on unknown cores");
  if (cpus.size() == 1) return absl::StrCat(who, " on core ", cpus.front());
  return absl::StrCat(who, " on cores ", absl::StrJoin(cpus, ","), " (not pinned)");
}

absl::StatusOr<cpu_set_t> SingleCpuMask(int cpu) {
  const std::vector<int> allowed = AllowedCpus();
  if (std::find(allowed.begin(), allowed.end(), cpu) == allowed.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "core ", cpu, " is not one this process may run on (", absl::StrJoin(allowed, ","), ")"));
  }
  cpu_set_t mask;
  CPU_ZERO(&mask);
  CPU_SET(cpu, &mask);
  return mask;
}

absl::Status PinCallingThread(int cpu) {
  absl::StatusOr<cpu_set_t> mask = SingleCpuMask(cpu);
  if (!mask.ok()) return mask.status();
  if (sched_setaffinity(0, sizeof *mask, &*mask) != 0) {
    const int error = errno;
    return absl::Status(absl::ErrnoToStatusCode(error),
                        absl::StrCat("cannot pin to core ", cpu, ": ", std::strerror(error)));
  }
  return absl::OkStatus();
}

}  // namespace align::bench
