//===- StagedOutputs.h - all-or-nothing output directories ------*- C++ -*-===//
//
// A tool that writes several outputs into one directory writes them under a
// hidden staging directory inside it first; commit() renames them into
// place (replacing earlier outputs of the same names), and without a commit
// - on any error - everything written is removed, including the directory
// itself when it was created here. Readers never see a half-written output;
// the staging directory exists only while outputs are written, and an
// interrupted process deletes the staged files then (an empty hidden
// ".gptq-staging-*" directory can remain).
//
//===----------------------------------------------------------------------===//
#ifndef GPTQ_SUPPORT_STAGEDOUTPUTS_H
#define GPTQ_SUPPORT_STAGEDOUTPUTS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <memory>
#include <string>
#include <vector>

namespace gptq {

class StagedOutputs {
public:
  /// Checks that `dir` can be created (with its parents) and written to,
  /// leaving nothing behind: the directories and the staging directory are
  /// made when the first output path is asked for. Returns null with
  /// `error` set when they cannot be (unwritable, a path component is a
  /// file, ...).
  static std::unique_ptr<StagedOutputs> create(llvm::StringRef dir,
                                               std::string &error);
  /// Without commit(): removes the staging directory and the directories
  /// this object created (when empty).
  ~StagedOutputs();

  /// Where to write output `name` (a file or a directory) before commit.
  std::string path(llvm::StringRef name);
  /// Declares output `name` (written at path(name)) for commit(). Its files
  /// are deleted if the process is interrupted (SIGINT, SIGTERM) before.
  void add(llvm::StringRef name);
  /// An output of an earlier run that this run does not produce: commit()
  /// removes it from `dir` (so that no stale file survives --force).
  void retire(llvm::StringRef name);
  /// Renames every added output into `dir` (what it replaces is deleted) and
  /// deletes retired outputs. On failure, puts back what was replaced,
  /// removes what was moved, and returns false with `error` set.
  bool commit(std::string &error);

  const std::string &dir() const { return dir_; }
  /// Names among `names` that exist in `dir`.
  static std::vector<std::string> existing(llvm::StringRef dir,
                                           llvm::ArrayRef<std::string> names);

private:
  StagedOutputs() = default;
  void rollBack();
  /// Creates the directories and the staging directory; "" or an error.
  std::string makeStage();
  void registerFile(const std::string &path);
  void unregisterFiles();

  std::string dir_, absDir_, stage_;
  std::vector<std::string> createdDirs_; ///< outermost first
  bool committed_ = false;
  std::vector<std::string> added_, retired_;
  std::vector<std::string> registered_; ///< files RemoveFileOnSignal knows
};

} // namespace gptq

#endif // GPTQ_SUPPORT_STAGEDOUTPUTS_H
