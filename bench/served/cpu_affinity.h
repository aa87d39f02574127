// Which cores this process may run on, and pinning to one of them (Linux sched_setaffinity).
#ifndef ALIGN_BENCH_SERVED_CPU_AFFINITY_H_
#define ALIGN_BENCH_SERVED_CPU_AFFINITY_H_

#include <sched.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace align::bench {

// The cores in this process's affinity mask, in ascending order.
std::vector<int> AllowedCpus();

// The cores in the affinity mask of process (or thread) `pid`, ascending; empty when it cannot
// be read.
std::vector<int> CpusOf(pid_t pid);

// What a report says of where a process runs: "alignd on core 0", "alignd on cores 0,1 (not
// pinned)", "alignd on unknown cores".
std::string DescribeCpus(const std::string& who, const std::vector<int>& cpus);

// The mask holding `cpu` alone. InvalidArgument when `cpu` is not in AllowedCpus().
absl::StatusOr<cpu_set_t> SingleCpuMask(int cpu);

// Pins the calling thread, and so every thread it starts afterwards, to `cpu`: call it before
// anything starts threads. InvalidArgument for a core outside AllowedCpus(); an errno-derived
// code when the kernel refuses.
absl::Status PinCallingThread(int cpu);

}  // namespace align::bench

#endif  // ALIGN_BENCH_SERVED_CPU_AFFINITY_H_
