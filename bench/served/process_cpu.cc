#include "bench/served/process_cpu.h"

#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace align::bench {

absl::StatusOr<double> ProcessCpuSeconds(pid_t pid) {
  const std::string path = absl::StrCat("/proc/", pid, "/stat");
  std::ifstream in(path);
  std::string stat;
  if (!std::getline(in, stat)) return absl::NotFoundError(absl::StrCat(path, ": cannot read"));
  // "PID (comm) state ppid …": the command may hold spaces and parentheses, so the fields are
  // counted from the last ')'. utime and stime are fields 14 and 15, the 12th and 13th after it.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return absl::InternalError(absl::StrCat(path, ": no ')'"));
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(stat).substr(close + 1), ' ', absl::SkipEmpty());
  uint64_t user_ticks = 0, system_ticks = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &user_ticks) ||
      !absl::SimpleAtoi(fields[12], &system_ticks)) {
    return absl::InternalError(absl::StrCat(path, ": no utime and stime fields"));
  }
  return static_cast<double>(user_ticks + system_ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

absl::StatusOr<double> MachineBusyCpuSeconds() {
  std::ifstream in("/proc/stat");
  std::string line;
  if (!std::getline(in, line)) return absl::InternalError("/proc/stat: cannot read");
  // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"
  std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
  if (fields.size() < 9 || fields[0] != "cpu") {
    return absl::InternalError("/proc/stat: no 'cpu' line first");
  }
  uint64_t busy = 0;
  for (int i : {1, 2, 3, 6, 7, 8}) {
    uint64_t ticks = 0;
    if (!absl::SimpleAtoi(fields[i], &ticks)) {
      return absl::InternalError(absl::StrCat("/proc/stat: cannot read field ", i));
    }
    busy += ticks;
  }
  return static_cast<double>(busy) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace align::bench
