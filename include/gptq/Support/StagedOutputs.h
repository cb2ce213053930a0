//===- StagedOutputs.h - all-or-nothing output directories ------*- C++ -*-===//
//
// A tool that writes several outputs into one directory writes them under a
// hidden staging directory inside it first; commit() renames them into
// place (replacing earlier outputs of the same names), and without a commit
// - on any error - everything written is removed, including the directory
// itself when it was created here. Readers never see a half-written output.
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
  /// Creates `dir` (and its parents) if needed and a staging directory
  /// inside it. Returns null with `error` set when either cannot be created
  /// (the directory is unwritable, a path component is a file, ...).
  static std::unique_ptr<StagedOutputs> create(llvm::StringRef dir,
                                               std::string &error);
  /// Without commit(): removes the staging directory and, if create() made
  /// it, `dir`.
  ~StagedOutputs();

  /// Where to write output `name` (a file or a directory) before commit.
  std::string path(llvm::StringRef name) const;
  /// Declares output `name` (written at path(name)) for commit().
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

  std::string dir_, stage_;
  bool createdDir_ = false, committed_ = false;
  std::vector<std::string> added_, retired_;
};

} // namespace gptq

#endif // GPTQ_SUPPORT_STAGEDOUTPUTS_H
