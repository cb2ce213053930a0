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
  llvm::SmallString<256> absDir(dir);
  (void)fs::make_absolute(absDir);
  llvm::sys::path::remove_dots(absDir, /*remove_dot_dot=*/true);
  out->absDir_ = std::string(absDir);
  fs::file_status st;
  if (!fs::status(absDir, st)) {
    if (!fs::is_directory(st)) {
      error = "'" + dir.str() + "' exists and is not a directory";
      return nullptr;
    }
  } else {
    // The directories to create, outermost first (removed again on failure).
    for (llvm::StringRef p = absDir; !p.empty() && !fs::exists(p);
         p = llvm::sys::path::parent_path(p))
      out->createdDirs_.insert(out->createdDirs_.begin(), p.str());
    if (std::error_code ec = fs::create_directories(absDir)) {
      error = "cannot create the output directory '" + dir.str() +
              "': " + ec.message();
      out->rollBack();
      return nullptr;
    }
  }
  // Can we write there? (A staging directory, removed again: nothing is
  // left behind while the caller computes what to write.)
  if (std::string e = out->makeStage(); !e.empty()) {
    error = e;
    out->rollBack();
    return nullptr;
  }
  out->rollBack();
  return out;
}

std::string StagedOutputs::makeStage() {
  for (const std::string &d : createdDirs_)
    if (std::error_code ec = fs::create_directory(d))
      return "cannot create the output directory '" + dir_ +
             "': " + ec.message();
  llvm::SmallString<256> stage;
  // createUniqueDirectory puts relative names under the system temp
  // directory: give it an absolute one (the stage must be on dir's file
  // system for renames).
  if (std::error_code ec =
          fs::createUniqueDirectory(join(absDir_, ".gptq-staging"), stage))
    return "cannot write to the output directory '" + dir_ +
           "': " + ec.message();
  stage_ = std::string(stage);
  return "";
}

StagedOutputs::~StagedOutputs() {
  if (!committed_)
    rollBack();
  unregisterFiles();
}

void StagedOutputs::rollBack() {
  if (!stage_.empty())
    removeAll(stage_);
  stage_.clear();
  for (auto it = createdDirs_.rbegin(); it != createdDirs_.rend(); ++it)
    (void)fs::remove(*it); // only when empty
}

std::string StagedOutputs::path(llvm::StringRef name) {
  if (stage_.empty())
    (void)makeStage(); // on failure the write to the path reports it
  return join(stage_.empty() ? absDir_ + "/.gptq-staging-unavailable" : stage_,
              name);
}

void StagedOutputs::add(llvm::StringRef name) {
  added_.push_back(name.str());
  // An interrupt (Ctrl-C, SIGTERM) before commit deletes the staged files
  // (LLVM's signal handlers unlink registered files).
  std::string path = join(stage_, name);
  std::error_code ec;
  if (fs::is_directory(path)) {
    for (fs::recursive_directory_iterator it(path, ec), end; it != end && !ec;
         it.increment(ec))
      if (it->type() == fs::file_type::regular_file)
        registerFile(it->path());
  } else {
    registerFile(path);
  }
}

void StagedOutputs::registerFile(const std::string &path) {
  if (!llvm::sys::RemoveFileOnSignal(path))
    registered_.push_back(path);
}

void StagedOutputs::unregisterFiles() {
  for (const std::string &p : registered_)
    llvm::sys::DontRemoveFileOnSignal(p);
  registered_.clear();
}

void StagedOutputs::retire(llvm::StringRef name) {
  retired_.push_back(name.str());
}

std::vector<std::string>
StagedOutputs::existing(llvm::StringRef dir,
                        llvm::ArrayRef<std::string> names) {
  std::vector<std::string> out;
  for (const std::string &n : names)
    if (fs::exists(join(dir, n)))
      out.push_back(n);
  return out;
}

bool StagedOutputs::commit(std::string &error) {
  if (stage_.empty()) {
    if (std::string e = makeStage(); !e.empty()) {
      error = e;
      return false;
    }
  }
  std::string old = join(stage_, ".replaced");
  if (std::error_code ec = fs::create_directory(old)) {
    error = "cannot write to '" + stage_ + "': " + ec.message();
    return false;
  }
  std::vector<std::string> moved, replaced;
  auto undo = [&] {
    for (const std::string &n : moved)
      removeAll(join(absDir_, n));
    for (const std::string &n : replaced)
      (void)fs::rename(join(old, n), join(absDir_, n));
  };
  auto moveAside = [&](const std::string &n) -> bool {
    if (!fs::exists(join(absDir_, n)))
      return true;
    if (std::error_code ec = fs::rename(join(absDir_, n), join(old, n))) {
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
    if (std::error_code ec = fs::rename(join(stage_, n), join(absDir_, n))) {
      error = "cannot move '" + n + "' into '" + dir_ + "': " + ec.message();
      undo();
      return false;
    }
    moved.push_back(n);
  }
  committed_ = true;
  unregisterFiles();
  removeAll(stage_); // with what was replaced
  return true;
}
