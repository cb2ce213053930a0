//===- StagedOutputs.cpp - all-or-nothing output directories -------------===//

#include "gptq/Support/StagedOutputs.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Signals.h"

using namespace gptq;
namespace fs = llvm::sys::fs;

static std::string join(llvm::StringRef a, llvm::StringRef b) {
  llvm::SmallString<256> p(a);
  llvm::sys::path::append(p, b);
  return std::string(p);
}

/// Removes a file or a directory tree; ignores what does not exist.
static void removeAll(llvm::StringRef path) {
  fs::file_status st;
  if (fs::status(path, st, /*follow=*/false))
    return;
  if (fs::is_directory(st))
    (void)fs::remove_directories(path, /*IgnoreErrors=*/true);
  else
    (void)fs::remove(path);
}

std::unique_ptr<StagedOutputs> StagedOutputs::create(llvm::StringRef dir,
                                                     std::string &error) {
  std::unique_ptr<StagedOutputs> out(new StagedOutputs());
  out->dir_ = dir.str();
  fs::file_status st;
  if (!fs::status(dir, st)) {
    if (!fs::is_directory(st)) {
      error = "'" + dir.str() + "' exists and is not a directory";
      return nullptr;
    }
  } else {
    // Create it (and missing parents); remember to remove it on failure.
    if (std::error_code ec = fs::create_directories(dir)) {
      error = "cannot create the output directory '" + dir.str() +
              "': " + ec.message();
      return nullptr;
    }
    out->createdDir_ = true;
  }
  // createUniqueDirectory puts relative names under the system temp
  // directory: give it an absolute one (the stage must be on dir's file
  // system for renames).
  llvm::SmallString<256> absDir(dir), stage;
  (void)fs::make_absolute(absDir);
  if (std::error_code ec = fs::createUniqueDirectory(
          join(absDir, ".gptq-staging"), stage)) {
    error = "cannot write to the output directory '" + dir.str() +
            "': " + ec.message();
    if (out->createdDir_)
      (void)fs::remove(dir);
    return nullptr;
  }
  out->stage_ = std::string(stage);
  return out;
}

StagedOutputs::~StagedOutputs() {
  if (!committed_)
    rollBack();
}

void StagedOutputs::rollBack() {
  removeAll(stage_);
  if (createdDir_)
    (void)fs::remove(dir_); // only when empty
}

std::string StagedOutputs::path(llvm::StringRef name) const {
  return join(stage_, name);
}

void StagedOutputs::add(llvm::StringRef name) { added_.push_back(name.str()); }

void StagedOutputs::retire(llvm::StringRef name) {
  retired_.push_back(name.str());
}

std::vector<std::string>
StagedOutputs::existing(llvm::StringRef dir, llvm::ArrayRef<std::string> names) {
  std::vector<std::string> out;
  for (const std::string &n : names)
    if (fs::exists(join(dir, n)))
      out.push_back(n);
  return out;
}

bool StagedOutputs::commit(std::string &error) {
  std::string old = join(stage_, ".replaced");
  if (std::error_code ec = fs::create_directory(old)) {
    error = "cannot write to '" + stage_ + "': " + ec.message();
    return false;
  }
  std::vector<std::string> moved, replaced;
  auto undo = [&] {
    for (const std::string &n : moved)
      removeAll(join(dir_, n));
    for (const std::string &n : replaced)
      (void)fs::rename(join(old, n), join(dir_, n));
  };
  auto moveAside = [&](const std::string &n) -> bool {
    if (!fs::exists(join(dir_, n)))
      return true;
    if (std::error_code ec = fs::rename(join(dir_, n), join(old, n))) {
      error = "cannot replace '" + join(dir_, n) + "': " + ec.message();
      return false;
    }
    replaced.push_back(n);
    return true;
  };
  for (const std::string &n : retired_)
    if (!moveAside(n)) {
      undo();
      return false;
    }
  for (const std::string &n : added_) {
    if (!moveAside(n)) {
      undo();
      return false;
    }
    if (std::error_code ec = fs::rename(join(stage_, n), join(dir_, n))) {
      error = "cannot move '" + n + "' into '" + dir_ + "': " + ec.message();
      undo();
      return false;
    }
    moved.push_back(n);
  }
  committed_ = true;
  removeAll(stage_); // with what was replaced
  return true;
}
