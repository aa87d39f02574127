// alignctl: diagnose assessments, explain conclusions, lint rule bases.
#include <iostream>
#include <string>
#include <vector>

#include "clients/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return align::clients::RunAlignctl(args, std::cout, std::cerr);
}
