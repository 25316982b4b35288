// custody-runner: hosts one plugin out of process for custody's plugin host.
#include <exception>
#include <iostream>

#include "custody/plugin/runner.h"

int main(int argc, char** argv) {
  try {
    return custody::plugin::runner_main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "custody-runner: internal: " << e.what() << "\n";
    return 4;
  }
}
