// Catch2 main, plus a reporter that prints one TAP line per test case (Catch2's
// own TAP reporter prints one per assertion), so tests/run counts test cases.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

namespace {

class TapCasesReporter : public Catch::StreamingReporterBase<TapCasesReporter> {
 public:
  using StreamingReporterBase::StreamingReporterBase;
  static std::string getDescription() { return "one TAP line per test case"; }

  void assertionStarting(Catch::AssertionInfo const&) override {}

  bool assertionEnded(Catch::AssertionStats const& stats) override {
    const auto& result = stats.assertionResult;
    if (result.isOk()) return true;
    stream << "# " << result.getSourceInfo().file << ":" << result.getSourceInfo().line << ": ";
    if (result.hasExpression()) stream << result.getExpressionInMacro() << " with " << result.getExpandedExpression();
    if (result.hasMessage()) stream << " " << result.getMessage();
    for (const auto& info : stats.infoMessages) stream << " [" << info.message << "]";
    stream << "\n";
    return true;
  }

  void testCaseEnded(Catch::TestCaseStats const& stats) override {
    ++count_;
    bool ok = stats.totals.assertions.failed == 0 && stats.totals.testCases.failed == 0;
    stream << (ok ? "ok " : "not ok ") << count_ << " - " << stats.testInfo.name << "\n";
    StreamingReporterBase::testCaseEnded(stats);
  }

  void testRunEnded(Catch::TestRunStats const& stats) override {
    stream << "1.." << count_ << "\n";
    StreamingReporterBase::testRunEnded(stats);
  }

 private:
  int count_ = 0;
};

}  // namespace

CATCH_REGISTER_REPORTER("tap-cases", TapCasesReporter)
