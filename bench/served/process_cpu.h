// CPU time used so far by a process (user + system, all its threads; /proc/PID/stat) and by
// the whole machine (/proc/stat).
#ifndef ALIGN_BENCH_SERVED_PROCESS_CPU_H_
#define ALIGN_BENCH_SERVED_PROCESS_CPU_H_

#include <sys/types.h>

#include "absl/status/statusor.h"

namespace align::bench {

// Seconds of CPU `pid` has used, in clock ticks (usually 10 ms). NotFound when the process is
// gone; Internal when the file cannot be parsed.
absl::StatusOr<double> ProcessCpuSeconds(pid_t pid);

// Seconds of CPU every core together has spent busy since boot: user, nice, system, irq,
// softirq and steal time (guest time is inside user). Internal when /proc/stat cannot be read.
absl::StatusOr<double> MachineBusyCpuSeconds();

}  // namespace align::bench

#endif  // ALIGN_BENCH_SERVED_PROCESS_CPU_H_
