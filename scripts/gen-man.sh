#!/bin/sh
# Generates the section-3 manual from the doc comments in include/mpool.h
# and in the adapters adapters/mpool/*.h: one page per function (the MP_API
# functions of mpool.h, the static inline functions of the adapters), an
# overview per header -- mpool(3) with the types and constants of mpool.h,
# and mpool_NAME(3) for <mpool/NAME.h> -- that lists the header's functions.
# POSIX sh and awk only, so it runs wherever the library builds.
#
#   gen-man.sh [HEADER...] OUTDIR   write the pages to OUTDIR (old *.3
#                                   removed); the headers default to
#                                   include/mpool.h and the adapters
#   gen-man.sh --lint [HEADER...]   only check the doc comments: every
#                                   function needs a /** */ comment right
#                                   above it, with a summary sentence, and
#                                   an @return line unless it returns void
#                                   (then none, as Doxygen wants)
#
# The comments are also Doxygen's (scripts/gen-doc.sh): each header's first
# comment is its "@file" comment, whose first sentence "NAME -- summary."
# names the overview page; "@defgroup ID Title" comments, closed by
# "@}", group the functions of mpool.h (a subsection of mpool(3) each, and
# the scope of SEE ALSO) and their text is the group's note.  In a doc
# comment the first sentence is the summary (the page's NAME line);
# paragraphs are separated by blank lines; `name` is set in italics and
# name() in bold; "\%" is a percent sign; lines indented further than the
# text are kept as preformatted (Markdown lists, and code blocks after a
# blank line indented by four); "@param NAME text", "@return text" and
# "@threadsafety text" start blocks that run to the next blank line or
# block.  Names that start with mp__ are internal and get no page.
#
# SPDX-License-Identifier: BSD-2-Clause
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
lint=0
if [ "${1:-}" = "--lint" ]; then
  lint=1
  shift
fi
out=
if [ $lint -eq 0 ]; then
  if [ $# -eq 0 ]; then
    echo "usage: $0 [HEADER...] OUTDIR | $0 --lint [HEADER...]" >&2
    exit 2
  fi
  # The last argument is OUTDIR; the others are the headers.
  n=$#
  i=0
  for a; do
    if [ $i -eq 0 ]; then
      set --
    fi
    i=$((i + 1))
    if [ $i -lt $n ]; then
      set -- "$@" "$a"
    else
      out=$a
    fi
  done
fi
if [ $# -eq 0 ]; then
  # adapter.h is internal: what the adapters share, with no functions of
  # its own for programs.
  set -- "$root/include/mpool.h"
  for f in "$root"/adapters/mpool/*.h; do
    case $f in
    */adapter.h) ;;
    *) set -- "$@" "$f" ;;
    esac
  done
fi
for f; do
  [ -r "$f" ] || {
    echo "$0: cannot read $f" >&2
    exit 2
  }
done
if [ $lint -eq 0 ]; then
  mkdir -p "$out"
  rm -f "$out"/*.3
fi

exec awk -v out="$out" -v lint=$lint '
# ---------------------------------------------------------------- helpers

function trim(s) {
  sub(/^[ \t]+/, "", s)
  sub(/[ \t]+$/, "", s)
  return s
}

function indent_of(s) {
  match(s, /^ */)
  return RLENGTH
}

# Roff-escapes plain text and applies the inline conventions.
function inline(s,    r, pre, mid) {
  gsub(/\\%/, "%", s)
  gsub(/\\/, "\\\\e", s)
  r = ""
  while (match(s, /[A-Za-z_][A-Za-z0-9_]*\(\)/)) {
    r = r substr(s, 1, RSTART - 1) "\\fB" substr(s, RSTART, RLENGTH - 2) \
        "\\fP()"
    s = substr(s, RSTART + RLENGTH)
  }
  s = r s
  r = ""
  while (match(s, /`[^`]*`/)) {
    r = r substr(s, 1, RSTART - 1) "\\fI" substr(s, RSTART + 1, RLENGTH - 2) \
        "\\fP"
    s = substr(s, RSTART + RLENGTH)
  }
  return r s
}

# A line of roff text: a leading dot or quote would be a request.
function line(s) {
  if (s ~ /^[.\047]/)
    s = "\\&" s
  return s
}

# Verbatim code for .EX blocks.
function code(s) {
  gsub(/\\/, "\\\\e", s)
  return line(s)
}

function plain(s) { # text without the inline markup, for NAME lines
  gsub(/`/, "", s)
  gsub(/\\%/, "%", s)
  gsub(/\\/, "\\\\e", s)
  return s
}

# The first sentence of s: up to a period followed by a space or the end.
function first_sentence(s,    i, n, c) {
  n = length(s)
  for (i = 1; i <= n; i++) {
    c = substr(s, i, 1)
    if (c == "." && (i == n || substr(s, i + 1, 1) == " "))
      return substr(s, 1, i)
  }
  return ""
}

function lcfirst(s) {
  if (substr(s, 2, 1) ~ /[A-Z]/) # an acronym
    return s
  return tolower(substr(s, 1, 1)) substr(s, 2)
}

function problem(msg) {
  printf "%s:%d: %s\n", FILENAME, decl_line, msg > "/dev/stderr"
  errors++
}

# ------------------------------------------------- doc comment parsing
# Input: cl[1..cn], the raw comment lines.  Output: the globals
#   blk_kind[1..nb] ("p" text line, "pre" preformatted line, "br" break),
#   blk_text[], par_name[1..np], par_text[], ret_text, has_ret, ts_text,
#   old_ts (a line starting "Thread-safety:", which Doxygen would not set
#   apart: function comments must use @threadsafety).

function parse_comment(    i, s, min, ind, tag, k) {
  nb = 0
  np = 0
  ret_text = ""
  ts_text = ""
  has_ret = 0
  old_ts = 0
  for (i = 1; i <= cn; i++) {
    s = cl[i]
    sub(/[ \t]*\*\/[ \t]*$/, "", s)
    if (i == 1) {
      sub(/^[ \t]*\/\*\*/, "", s)
      s = trim(s)
    } else {
      sub(/^[ \t]*\*/, "", s)
    }
    if (i > 1)
      sub(/[ \t]+$/, "", s)
    t[i] = s
  }
  min = -1
  for (i = 2; i <= cn; i++)
    if (t[i] != "" && (min < 0 || indent_of(t[i]) < min))
      min = indent_of(t[i])
  if (min < 0)
    min = 0
  tag = ""
  for (i = 1; i <= cn; i++) {
    s = t[i]
    ind = 0
    if (i > 1) {
      ind = indent_of(s) - min
      s = substr(s, min + 1)
    }
    if (trim(s) == "") {
      tag = ""
      if (nb > 0 && blk_kind[nb] != "br")
        add_blk("br", "")
      continue
    }
    k = trim(s)
    if (k ~ /^Thread-safety:/)
      old_ts = 1
    if (k ~ /^@param[ \t]/) {
      sub(/^@param[ \t]+/, "", k)
      np++
      par_name[np] = k
      sub(/[ \t].*/, "", par_name[np])
      sub(/^[^ \t]+[ \t]*/, "", k)
      par_text[np] = k
      tag = "param"
    } else if (k ~ /^@returns?([ \t]|$)/) {
      sub(/^@returns?[ \t]*/, "", k)
      ret_text = k
      has_ret = 1
      tag = "return"
    } else if (k ~ /^@threadsafety([ \t]|$)/) {
      sub(/^@threadsafety[ \t]*/, "", k)
      ts_text = k
      tag = "ts"
    } else if (tag == "param") {
      par_text[np] = par_text[np] " " k
    } else if (tag == "return") {
      ret_text = ret_text " " k
    } else if (tag == "ts") {
      ts_text = ts_text " " k
    } else if (ind >= 2) {
      add_blk("pre", substr(s, 1))
    } else {
      add_blk("p", k)
    }
  }
  while (nb > 0 && blk_kind[nb] == "br")
    nb--
}

function add_blk(kind, text) {
  nb++
  blk_kind[nb] = kind
  blk_text[nb] = text
}

# The text of the first paragraph, joined into one line.
function first_para(    i, s) {
  s = ""
  for (i = 1; i <= nb && blk_kind[i] == "p"; i++)
    s = s (s == "" ? "" : " ") blk_text[i]
  return s
}

# Writes the parsed blocks as roff paragraphs to file f; from block `from`
# (1: all), inside a .TP item when `tp` is set.
function emit_blocks(f, from, tp,    i, j, m, pre_min) {
  if (!tp)
    print ".PP" > f
  for (i = from; i <= nb; i++) {
    if (blk_kind[i] == "br") {
      print (tp ? ".IP" : ".PP") > f
    } else if (blk_kind[i] == "p") {
      print line(inline(blk_text[i])) > f
    } else {
      pre_min = -1
      for (j = i; j <= nb && blk_kind[j] == "pre"; j++)
        if (pre_min < 0 || indent_of(blk_text[j]) < pre_min)
          pre_min = indent_of(blk_text[j])
      if (!tp)
        print ".RS" > f
      else if (i == from || blk_kind[i - 1] != "br")
        print ".IP" > f
      print ".nf" > f
      for (m = i; m < j; m++)
        print code(substr(blk_text[m], pre_min + 1)) > f
      print (tp ? ".fi" : ".fi\n.RE") > f
      i = j - 1
    }
  }
}

# Saves the parsed blocks as number k of kind `what` ("type", "const"),
# and restores them.
function save_blocks(what, k,    i) {
  saved_nb[what, k] = nb
  for (i = 1; i <= nb; i++) {
    saved_kind[what, k, i] = blk_kind[i]
    saved_text[what, k, i] = blk_text[i]
  }
}

function load_blocks(what, k,    i) {
  nb = saved_nb[what, k]
  for (i = 1; i <= nb; i++) {
    blk_kind[i] = saved_kind[what, k, i]
    blk_text[i] = saved_text[what, k, i]
  }
}

# A comment just ended: a group opens or closes, or a declaration may
# follow it.
function comment_done(    i, s, k, title) {
  have_doc = 0
  title = ""
  for (i = 1; i <= cn; i++) {
    s = cl[i]
    sub(/^[ \t]*\/\*\*/, "", s)
    sub(/[ \t]*\*\/[ \t]*$/, "", s)
    sub(/^[ \t]*\*/, "", s)
    k = trim(s)
    if (k ~ /^@defgroup[ \t]/) {
      title = k
      sub(/^@defgroup[ \t]+[^ \t]+[ \t]*/, "", title)
      group = title
      ngroups++
      groups[ngroups] = title
      group_note[title] = ""
    } else if (title != "" && k != "" && k != "@{") {
      sub(/^@threadsafety/, "Thread-safety:", k)
      group_note[title] = group_note[title] \
        (group_note[title] == "" ? "" : " ") k
    } else if (k == "@}" && cn == 1) {
      group = ""
      return
    }
  }
  if (title == "")
    have_doc = 1
}

# ------------------------------------------------------- header files

# A new header: its include name (mpool.h, mpool/lua.h) and page name
# (mpool, mpool_lua).
function start_file(    p, d) {
  p = FILENAME
  hname = p
  sub(/^.*\//, "", hname)
  d = p
  if (sub(/\/[^\/]*$/, "", d)) {
    sub(/^.*\//, "", d)
    if (d == "mpool")
      hname = "mpool/" hname
  }
  page = hname
  sub(/\.h$/, "", page)
  gsub(/\//, "_", page)
  adapter = (hname ~ /\//)
  npages++
  pages[npages] = page
  page_hname[page] = hname
  ngroups = 0
  group = ""
  nt = 0
  nc = 0
  intro_n = 0
  have_doc = 0
  state = "code"
}

# The library line of every page.
function library(f) {
  if (adapter)
    print "mpool (\\fIlibmpool\\fP, \\fI\\-lmpool\\fP) and the library it" \
          " adapts; the adapter is header-only" > f
  else
    print "mpool (\\fIlibmpool\\fP, \\fI\\-lmpool\\fP)" > f
}

# The overview page of the header just read: the file comment, its
# functions (by group), types and constants.  SEE ALSO comes at the end.
function finish_file(    f, i, j, g, n, s, shown, name, lines) {
  if (lint)
    return
  f = out "/" page ".3"
  # The file comment: its first paragraph names the page, the rest is the
  # description.
  cn = 0
  cl[++cn] = "/**"
  for (i = 1; i <= intro_n; i++)
    cl[++cn] = " *" intro[i]
  cl[++cn] = " */"
  parse_comment()
  s = first_para()
  name = s
  sub(/^.* -- /, "", name)
  sub(/\.$/, "", name)
  for (i = 1; i <= nb && blk_kind[i] == "p"; i++)
    ;
  while (i <= nb && blk_kind[i] == "br")
    i++
  print ".\\\" Generated by scripts/gen-man.sh from " hname "; do not edit." > f
  print ".TH " toupper(page) " 3 \"\" \"mpool " version "\" \"mpool manual\"" > f
  print ".SH NAME" > f
  print page " \\- " plain(name) > f
  print ".SH LIBRARY" > f
  library(f)
  print ".SH SYNOPSIS" > f
  print ".nf" > f
  print ".B #include <" hname ">" > f
  if (!adapter) {
    print ".PP" > f
    print ".B cc app.c $(pkg\\-config \\-\\-cflags \\-\\-libs mpool)" > f
  }
  print ".fi" > f
  print ".SH DESCRIPTION" > f
  emit_blocks(f, i, 0)
  print ".SH FUNCTIONS" > f
  for (g = 0; g <= ngroups; g++) {
    shown = 0
    for (i = 1; i <= nf_; i++) {
      if (fn_page[i] != page || fn_group[i] != (g ? groups[g] : ""))
        continue
      if (!shown++ && g) {
        print ".SS " groups[g] > f
        if (group_note[groups[g]] != "")
          print line(inline(group_note[groups[g]])) > f
      }
      print ".TP\n.BR " fn[i] " (3)" > f
      print line(inline(fn_summary[i])) > f
    }
  }
  if (nt > 0) {
    print ".SH TYPES" > f
    for (i = 1; i <= nt; i++) {
      print ".SS " type_name[i] > f
      load_blocks("type", i)
      emit_blocks(f, 1, 0)
      print ".PP\n.EX" > f
      n = split(type_code[i], lines, "\n")
      for (j = 1; j <= n; j++)
        print code(lines[j]) > f
      print ".EE" > f
    }
  }
  if (nc > 0) {
    print ".SH CONSTANTS" > f
    for (i = 1; i <= nc; i++) {
      print ".TP\n.B " const_name[i] > f
      load_blocks("const", i)
      emit_blocks(f, 1, 1)
    }
  }
  close(f)
}

# --------------------------------------------------------- reading input

function finish_decl(    s, name, ret, params, n, i, p, pname, bi, ptype, kind,
                         f, sep) {
  s = decl
  gsub(/[ \t]+/, " ", s)
  s = trim(s)
  kind = decl_kind
  decl_kind = ""
  if (kind == "func") {
    sub(/^static inline /, "", s)
    while (s ~ /^MP_[A-Z0-9_]+/) {
      sub(/^MP_[A-Z0-9_]+(\([^)]*\))? ?/, "", s)
    }
    gsub(/ ?CJSON_CDECL/, "", s) # a calling convention, empty but on Windows
    if (!match(s, /[A-Za-z_][A-Za-z0-9_]*\(/)) {
      problem("cannot parse declaration: " s)
      return
    }
    name = substr(s, RSTART, RLENGTH - 1)
    ret = trim(substr(s, 1, RSTART - 1))
    params = substr(s, RSTART + RLENGTH)
    sub(/\) *[;{].*$/, "", params)
    if (name ~ /^mp__/)
      return
    if (!have_doc) {
      problem(name ": no /** */ doc comment right above the declaration")
      return
    }
    parse_comment()
    if (first_sentence(first_para()) == "")
      problem(name ": the doc comment has no summary sentence")
    if (ret != "void" && !has_ret)
      problem(name ": the doc comment has no @return line")
    if (ret == "void" && has_ret)
      problem(name ": a void function takes no @return line")
    if (old_ts)
      problem(name ": write the thread-safety line as \"@threadsafety text\"")
    nf_++
    fn[nf_] = name
    fn_group[nf_] = group
    fn_page[nf_] = page
    fn_summary[nf_] = first_sentence(first_para())
    if (lint)
      return
    f = out "/" name ".3"
    print ".\\\" Generated by scripts/gen-man.sh from " hname "; do not edit." > f
    print ".TH " toupper(name) " 3 \"\" \"mpool " version "\" \"mpool manual\"" > f
    print ".SH NAME" > f
    s = fn_summary[nf_]
    sub(/\.$/, "", s)
    print name " \\- " lcfirst(plain(s)) > f
    print ".SH LIBRARY" > f
    library(f)
    print ".SH SYNOPSIS" > f
    print ".nf" > f
    print ".B #include <" hname ">" > f
    print ".PP" > f
    sep = (ret ~ /\*$/) ? "" : " "
    if (params == "void") {
      print ".B \"" ret sep name "(void);\"" > f
    } else {
      n = split(params, p, /, */)
      bi = ".BI \"" ret sep name "("
      for (i = 1; i <= n; i++) {
        pname = p[i]
        sub(/^.*[ *]/, "", pname)
        ptype = substr(p[i], 1, length(p[i]) - length(pname))
        bi = bi (i > 1 ? ", " : "") ptype "\" " pname " \""
      }
      bi = bi ");\""
      print bi > f
    }
    print ".fi" > f
    print ".SH DESCRIPTION" > f
    emit_blocks(f, 1, 0)
    for (i = 1; i <= np; i++) {
      print ".TP\n.I " par_name[i] > f
      print line(inline(par_text[i])) > f
    }
    # The group note is about the memory that the calls return.
    if (group != "" && group_note[group] != "" && ret ~ /\*$/) {
      print ".PP" > f
      print line(inline(group_note[group])) > f
    }
    print ".SH RETURN VALUE" > f
    s = ret_text
    if (s == "")
      s = "None."
    print line(inline(toupper(substr(s, 1, 1)) substr(s, 2))) > f
    if (ts_text != "") {
      print ".SH THREAD SAFETY" > f
      print line(inline(toupper(substr(ts_text, 1, 1)) substr(ts_text, 2))) > f
    }
    # SEE ALSO is written at the end, when all names are known.
    close(f)
  } else if (kind == "type") {
    if (!have_doc)
      return
    # The name: of a function pointer type, of a typedef, or of a struct.
    if (decl ~ /^typedef[^{]*\(\*/ &&
        match(decl, /\(\*[A-Za-z_][A-Za-z0-9_]*\)/)) {
      s = substr(decl, RSTART + 2, RLENGTH - 3)
    } else if (decl_last ~ /^(typedef|\}).*;[ \t]*$/) {
      s = decl_last
      sub(/[ \t]*;[ \t]*$/, "", s)
      sub(/^.*[ }*]/, "", s)
    } else {
      s = decl
      sub(/^[ \t]*struct[ \t]+/, "", s)
      sub(/[^A-Za-z0-9_].*$/, "", s)
    }
    if (s ~ /^mp__/)
      return
    parse_comment()
    nt++
    type_name[nt] = s
    type_code[nt] = decl_raw
    save_blocks("type", nt)
  } else if (kind == "define") {
    if (!have_doc)
      return
    s = decl
    sub(/^#define[ \t]+/, "", s)
    sub(/[ \t(].*$/, "", s)
    if (s ~ /^MP__/)
      return
    parse_comment()
    nc++
    const_name[nc] = s
    save_blocks("const", nc)
  }
}

BEGIN {
  errors = 0
  nf_ = 0
  npages = 0
}

# The file comment: the first comment in the file ("/** @file").
FNR == 1 {
  if (NR > 1)
    finish_file()
  start_file()
}
FNR == 1 && /^\/\*/ {
  state = "intro"
  next
}
state == "intro" {
  if ($0 ~ /\*\//) {
    state = "code"
    next
  }
  s = $0
  sub(/^ \*/, "", s)
  if (s ~ /SPDX-License-Identifier/)
    next
  intro[++intro_n] = s
  next
}

state == "comment" {
  cl[++cn] = $0
  if ($0 ~ /\*\//) {
    state = "code"
    comment_done()
  }
  next
}

state == "decl" {
  decl = decl " " $0
  decl_raw = decl_raw "\n" $0
  decl_last = $0
  if (decl_kind == "func" && $0 ~ /[;{]/) {
    state = "code"
    finish_decl()
    have_doc = 0
  } else if (decl_kind == "type") {
    depth += gsub(/\{/, "{") - gsub(/\}/, "}")
    if (depth == 0 && $0 ~ /^(typedef|\}).*;[ \t]*$/) {
      state = "code"
      finish_decl()
      have_doc = 0
    }
  } else if (decl_kind == "define" && $0 !~ /\\$/) {
    state = "code"
    finish_decl()
    have_doc = 0
  }
  next
}

/^[ \t]*\/\*\*/ {
  cn = 0
  cl[++cn] = $0
  if ($0 ~ /\*\//)
    comment_done()
  else
    state = "comment"
  next
}

/^#define MPOOL_VERSION_(MAJOR|MINOR|PATCH)[ \t]/ {
  vpart[$2] = $3
  version = vpart["MPOOL_VERSION_MAJOR"] "." vpart["MPOOL_VERSION_MINOR"] "." \
            vpart["MPOOL_VERSION_PATCH"]
}

/^MP_API[ \t]/ || /^static inline[ \t]/ || /^(typedef|struct)[ \t]/ ||
/^#define[ \t]/ {
  decl_line = FNR
  decl = $0
  decl_raw = $0
  decl_last = $0
  if ($0 ~ /^(MP_API|static inline)[ \t]/) {
    decl_kind = "func"
    if ($0 ~ /[;{]/) {
      finish_decl()
      have_doc = 0
    } else {
      state = "decl"
    }
  } else if ($0 ~ /^#define/) {
    decl_kind = "define"
    if ($0 ~ /\\$/)
      state = "decl"
    else {
      finish_decl()
      have_doc = 0
    }
  } else {
    decl_kind = "type"
    depth = gsub(/\{/, "{") - gsub(/\}/, "}")
    # A typedef or a forward declaration on one line.
    if (depth == 0 && $0 ~ /;[ \t]*$/) {
      finish_decl()
      have_doc = 0
    } else {
      state = "decl"
    }
  }
  next
}

/^[ \t]*$/ { next }
{ have_doc = 0 }

# ----------------------------------------------------------------- output

# SEE ALSO of page f, written for `self` (a function, or a header page):
# the overview pages, then the functions of page `pg` and group `grp` (a
# header page lists all its functions; mpool(3) also the adapter pages).
function see_also(f, self, pg, grp, all,    i, first) {
  print ".SH SEE ALSO" >> f
  first = 1
  if (self != pg) {
    printf ".BR %s (3)", pg >> f
    first = 0
  }
  if (self == "mpool") {
    for (i = 1; i <= npages; i++) {
      if (pages[i] == "mpool")
        continue
      printf "%s.BR %s (3)", (first ? "" : ",\n"), pages[i] >> f
      first = 0
    }
  } else if (pg != "mpool" && (self == pg) && page_hname["mpool"] != "") {
    printf "%s.BR mpool (3)", (first ? "" : ",\n") >> f
    first = 0
  }
  for (i = 1; i <= nf_; i++) {
    if (fn[i] == self || fn_page[i] != pg || (!all && fn_group[i] != grp))
      continue
    printf "%s.BR %s (3)", (first ? "" : ",\n"), fn[i] >> f
    first = 0
  }
  print "" >> f
}

END {
  if (NR > 0)
    finish_file()
  if (nf_ == 0) {
    print "gen-man.sh: no documented functions found" > "/dev/stderr"
    errors++
  }
  if (errors > 0) {
    printf "%d problem(s) in the doc comments\n", errors > "/dev/stderr"
    exit 1
  }
  if (lint) {
    printf "%d functions documented in %d header%s\n", nf_, npages, \
           (npages == 1 ? "" : "s")
    exit 0
  }
  for (i = 1; i <= nf_; i++) {
    f = out "/" fn[i] ".3"
    # Reopening would truncate: append the SEE ALSO section.
    printf "" >> f
    see_also(f, fn[i], fn_page[i], fn_group[i], 0)
    close(f)
  }
  for (i = 1; i <= npages; i++) {
    f = out "/" pages[i] ".3"
    printf "" >> f
    see_also(f, pages[i], pages[i], "", 1)
    close(f)
  }
}
' "$@"
