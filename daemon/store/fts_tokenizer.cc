// The archive's full-text tokenizer, "fw": SQLite's unicode61 (case folded,
// diacritics removed), with runs of Chinese, Japanese and Korean characters
// split into one token per character. unicode61 alone makes a whole CJK
// sentence (written without spaces) a single token, so a search for one word
// of it finds nothing; per-character tokens and FTS5's phrase matching (a
// query word that tokenizes into several tokens is a phrase) find the word
// wherever its characters stand together.
#include <sqlite3.h>

#include <cstdint>
#include <new>
#include <string>

#include "store_internal.h"

namespace feedwatch::storeimpl {

namespace {

// Han (with extensions and compatibility ideographs), kana, Hangul syllables and
// jamo, CJK punctuation-free symbols that unicode61 keeps inside tokens.
bool IsCjk(char32_t c) {
  return (c >= 0x1100 && c <= 0x11FF) ||  // Hangul Jamo
         (c >= 0x3040 && c <= 0x30FF) ||  // Hiragana, Katakana
         (c >= 0x3130 && c <= 0x318F) ||  // Hangul compatibility jamo
         (c >= 0x31F0 && c <= 0x31FF) ||  // Katakana phonetic extensions
         (c >= 0x3400 && c <= 0x4DBF) ||  // CJK extension A
         (c >= 0x4E00 && c <= 0x9FFF) ||  // CJK unified ideographs
         (c >= 0xAC00 && c <= 0xD7AF) ||  // Hangul syllables
         (c >= 0xF900 && c <= 0xFAFF) ||  // CJK compatibility ideographs
         (c >= 0xFF66 && c <= 0xFF9F) ||  // halfwidth katakana
         (c >= 0x20000 && c <= 0x3FFFF);  // CJK extensions B and later
}

// Decodes one UTF-8 sequence at p[i] (the tokenizer's input is valid UTF-8:
// the parser made it so; a stray byte counts as one character).
char32_t Decode(const char* p, int n, int i, int* len) {
  auto b = static_cast<unsigned char>(p[i]);
  int k = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  if (i + k > n || (k > 1 && b < 0xC0)) k = 1;
  char32_t c = k == 1 ? b : b & (0xFF >> (k + 1));
  for (int j = 1; j < k; ++j) c = (c << 6) | (static_cast<unsigned char>(p[i + j]) & 0x3F);
  *len = k;
  return c;
}

struct Tokenizer {
  fts5_tokenizer base{};
  Fts5Tokenizer* inner = nullptr;
};

struct Forward {
  void* ctx;
  int (*token)(void*, int, const char*, int, int, int);
};

int Split(void* p, int tflags, const char* tok, int n, int start, int end) {
  auto* f = static_cast<Forward*>(p);
  // Most tokens are ASCII: no CJK in them, forwarded as they are.
  bool any = false;
  for (int i = 0; i < n && !any; ++i) any = static_cast<unsigned char>(tok[i]) >= 0xE1;
  if (any) {
    any = false;
    for (int i = 0; i < n && !any;) {
      int len = 0;
      any = IsCjk(Decode(tok, n, i, &len));
      i += len;
    }
  }
  if (!any) return f->token(f->ctx, tflags, tok, n, start, end);
  // Offsets of the pieces map back one to one when folding kept the length
  // (CJK text, lower-case Latin); otherwise each piece points at the whole
  // token, which only makes a highlight wider.
  bool same = n == end - start;
  int run = -1;  // start of a non-CJK run inside the token
  for (int i = 0; i < n;) {
    int len = 0;
    bool cjk = IsCjk(Decode(tok, n, i, &len));
    if (cjk) {
      if (run >= 0) {
        int rc = f->token(f->ctx, tflags, tok + run, i - run, same ? start + run : start,
                          same ? start + i : end);
        if (rc != SQLITE_OK) return rc;
        run = -1;
      }
      int rc = f->token(f->ctx, tflags, tok + i, len, same ? start + i : start,
                        same ? start + i + len : end);
      if (rc != SQLITE_OK) return rc;
    } else if (run < 0) {
      run = i;
    }
    i += len;
  }
  if (run >= 0)
    return f->token(f->ctx, tflags, tok + run, n - run, same ? start + run : start, end);
  return SQLITE_OK;
}

int Create(void* api_ptr, const char** /*args*/, int /*nargs*/, Fts5Tokenizer** out) {
  auto* api = static_cast<fts5_api*>(api_ptr);
  auto* t = new (std::nothrow) Tokenizer();
  if (!t) return SQLITE_NOMEM;
  void* uctx = nullptr;
  int rc = api->xFindTokenizer(api, "unicode61", &uctx, &t->base);
  const char* inner_args[] = {"remove_diacritics", "2"};
  if (rc == SQLITE_OK) rc = t->base.xCreate(uctx, inner_args, 2, &t->inner);
  if (rc != SQLITE_OK) {
    delete t;
    return rc;
  }
  *out = reinterpret_cast<Fts5Tokenizer*>(t);
  return SQLITE_OK;
}

void Delete(Fts5Tokenizer* p) {
  auto* t = reinterpret_cast<Tokenizer*>(p);
  if (t->inner) t->base.xDelete(t->inner);
  delete t;
}

int Tokenize(Fts5Tokenizer* p, void* ctx, int flags, const char* text, int n,
             int (*token)(void*, int, const char*, int, int, int)) {
  auto* t = reinterpret_cast<Tokenizer*>(p);
  Forward f{ctx, token};
  return t->base.xTokenize(t->inner, &f, flags, text, n, &Split);
}

}  // namespace

Status RegisterFtsTokenizer(sqlite3* db) {
  fts5_api* api = nullptr;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, nullptr) == SQLITE_OK) {
    sqlite3_bind_pointer(stmt, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
    sqlite3_step(stmt);
  }
  sqlite3_finalize(stmt);
  if (!api || api->iVersion < 2)
    return Status::Io("this SQLite has no FTS5 (the entries archive needs it)");
  static fts5_tokenizer kTokenizer = {&Create, &Delete, &Tokenize};
  if (api->xCreateTokenizer(api, "fw", api, &kTokenizer, nullptr) != SQLITE_OK)
    return Status::Io(std::string("registering the archive's tokenizer: ") + sqlite3_errmsg(db));
  return Status::Ok();
}

}  // namespace feedwatch::storeimpl
