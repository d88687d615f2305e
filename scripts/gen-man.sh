#!/bin/sh
# Generates the section-3 manual from the doc comments in include/mpool.h:
# one page per MP_API function and mpool(3), an overview with the types and
# constants.  POSIX sh and awk only, so it runs wherever the library builds.
#
#   gen-man.sh [HEADER] OUTDIR   write the pages to OUTDIR (old *.3 removed)
#   gen-man.sh --lint [HEADER]   only check the doc comments: every MP_API
#                                function needs a /** */ comment right above
#                                it, with a summary sentence and an @return
#                                line (for a void function, "@return
#                                nothing" or the words "returns nothing")
#
# Comment conventions: the first sentence is the summary (the page's NAME
# line); paragraphs are separated by blank lines; `name` is set in italics
# and name() in bold; lines indented further than the text are kept as
# preformatted; "@param NAME text", "@return text" and "Thread-safety: text"
# start blocks that run to the next blank line or block.
#
# SPDX-License-Identifier: BSD-2-Clause
set -eu

here=$(dirname "$0")
lint=0
if [ "${1:-}" = "--lint" ]; then
  lint=1
  shift
fi
if [ $lint -eq 1 ]; then
  header=${1:-$here/../include/mpool.h}
  out=
elif [ $# -eq 2 ]; then
  header=$1
  out=$2
elif [ $# -eq 1 ]; then
  header=$here/../include/mpool.h
  out=$1
else
  echo "usage: $0 [HEADER] OUTDIR | $0 --lint [HEADER]" >&2
  exit 2
fi
[ -r "$header" ] || {
  echo "$0: cannot read $header" >&2
  exit 2
}
if [ $lint -eq 0 ]; then
  mkdir -p "$out"
  rm -f "$out"/*.3
fi

exec awk -v out="$out" -v lint=$lint -v hname="$(basename "$header")" '
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
#   blk_text[], par_name[1..np], par_text[], ret_text, ts_text.

function parse_comment(    i, s, min, ind, tag, k) {
  nb = 0
  np = 0
  ret_text = ""
  ts_text = ""
  has_ret = 0
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
    if (k ~ /^@param[ \t]/) {
      sub(/^@param[ \t]+/, "", k)
      np++
      par_name[np] = k
      sub(/[ \t].*/, "", par_name[np])
      sub(/^[^ \t]+[ \t]*/, "", k)
      par_text[np] = k
      tag = "param"
    } else if (k ~ /^@return/) {
      sub(/^@returns?[ \t]*/, "", k)
      ret_text = k
      has_ret = 1
      tag = "return"
    } else if (k ~ /^Thread-safety:/) {
      sub(/^Thread-safety:[ \t]*/, "", k)
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

# Writes the parsed blocks as roff paragraphs to file f.
function emit_blocks(f,    i, j, m, pre_min) {
  print ".PP" > f
  for (i = 1; i <= nb; i++) {
    if (blk_kind[i] == "br") {
      print ".PP" > f
    } else if (blk_kind[i] == "p") {
      print line(inline(blk_text[i])) > f
    } else {
      pre_min = -1
      for (j = i; j <= nb && blk_kind[j] == "pre"; j++)
        if (pre_min < 0 || indent_of(blk_text[j]) < pre_min)
          pre_min = indent_of(blk_text[j])
      print ".RS\n.nf" > f
      for (m = i; m < j; m++)
        print code(substr(blk_text[m], pre_min + 1)) > f
      print ".fi\n.RE" > f
      i = j - 1
    }
  }
}

# --------------------------------------------------------- reading input

function finish_decl(    s, name, ret, params, n, i, p, pname, bi, ptype, kind) {
  s = decl
  gsub(/[ \t]+/, " ", s)
  s = trim(s)
  kind = decl_kind
  decl_kind = ""
  if (kind == "func") {
    while (s ~ /^MP_[A-Z0-9_]+/) {
      sub(/^MP_[A-Z0-9_]+(\([^)]*\))? ?/, "", s)
    }
    if (!match(s, /[A-Za-z_][A-Za-z0-9_]*\(/)) {
      problem("cannot parse declaration: " s)
      return
    }
    name = substr(s, RSTART, RLENGTH - 1)
    ret = trim(substr(s, 1, RSTART - 1))
    params = substr(s, RSTART + RLENGTH)
    sub(/\) *;.*$/, "", params)
    if (!have_doc) {
      problem(name ": no /** */ doc comment right above the declaration")
      return
    }
    parse_comment()
    if (first_sentence(first_para()) == "")
      problem(name ": the doc comment has no summary sentence")
    if (!has_ret && !(ret == "void" && tolower(first_para()) ~ /returns nothing/))
      problem(name ": the doc comment has no @return line")
    nf_++
    fn[nf_] = name
    fn_group[nf_] = group
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
    print "mpool (\\fIlibmpool\\fP, \\fI\\-lmpool\\fP)" > f
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
    emit_blocks(f)
    for (i = 1; i <= np; i++) {
      print ".TP\n.I " par_name[i] > f
      print line(inline(par_text[i])) > f
    }
    # The group note is about the memory that the calls return.
    if (group_note[group] != "" && ret ~ /\*$/) {
      print ".PP" > f
      print line(inline(group_note[group])) > f
    }
    print ".SH RETURN VALUE" > f
    s = ret_text
    if (s == "" || tolower(s) ~ /^nothing\.?$/)
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
    parse_comment()
    nt++
    s = decl_last
    sub(/;[ \t]*$/, "", s)
    sub(/^.*[ }]/, "", s)
    type_name[nt] = s
    type_code[nt] = decl_raw
    type_nb[nt] = nb
    for (i = 1; i <= nb; i++) {
      type_kind[nt, i] = blk_kind[i]
      type_text[nt, i] = blk_text[i]
    }
  } else if (kind == "define") {
    if (!have_doc)
      return
    parse_comment()
    nc++
    s = decl
    sub(/^#define[ \t]+/, "", s)
    sub(/[ \t(].*$/, "", s)
    const_name[nc] = s
    const_text[nc] = first_para()
  }
}

BEGIN {
  errors = 0
  nf_ = 0
  nt = 0
  nc = 0
  state = "code"
  group = ""
}

# The file comment: the first comment in the file.
NR == 1 && /^\/\*/ {
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
  if (intro_n == 0 && s ~ / -- /) {
    intro_name = s
    sub(/^.* -- /, "", intro_name)
    sub(/\.$/, "", intro_name)
    intro_n = -1
    next
  }
  if (intro_n < 0)
    intro_n = 0
  intro[++intro_n] = s
  next
}

# Section banners: /* ---- / * Title / * text... / * ---- */
/^\/\* -----/ {
  state = "banner"
  banner_line = 0
  next
}
state == "banner" {
  if ($0 ~ /^ \* -----/ || $0 ~ /\*\//) {
    state = "code"
    have_doc = 0
    next
  }
  s = trim(substr($0, 3))
  if (banner_line++ == 0) {
    group = s
    ngroups++
    groups[ngroups] = s
    group_note[s] = ""
  } else if (s != "") {
    group_note[group] = group_note[group] (group_note[group] == "" ? "" : " ") s
  }
  next
}

state == "comment" {
  cl[++cn] = $0
  if ($0 ~ /\*\//) {
    state = "code"
    have_doc = 1
  }
  next
}

state == "decl" {
  decl = decl " " $0
  decl_raw = decl_raw "\n" $0
  decl_last = $0
  if (decl_kind == "func" && $0 ~ /;/) {
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
    have_doc = 1
  else
    state = "comment"
  next
}

/^#define MPOOL_VERSION_(MAJOR|MINOR|PATCH)[ \t]/ {
  vpart[$2] = $3
  version = vpart["MPOOL_VERSION_MAJOR"] "." vpart["MPOOL_VERSION_MINOR"] "." \
            vpart["MPOOL_VERSION_PATCH"]
}

/^MP_API[ \t]/ || /^(typedef|struct)[ \t]/ || /^#define[ \t]/ {
  decl_line = FNR
  decl = $0
  decl_raw = $0
  decl_last = $0
  if ($0 ~ /^MP_API/) {
    decl_kind = "func"
    if ($0 ~ /;/) {
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
    if (depth == 0 && $0 ~ /^typedef.*;[ \t]*$/) {
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

function see_also(f, self, grp,    i, first) {
  print ".SH SEE ALSO" >> f
  if (self != "mpool")
    printf ".BR mpool (3)" >> f
  first = (self == "mpool")
  for (i = 1; i <= nf_; i++) {
    if (fn[i] == self || (grp != "" && fn_group[i] != grp))
      continue
    printf "%s.BR %s (3)", (first ? "" : ",\n"), fn[i] >> f
    first = 0
  }
  print "" >> f
}

END {
  if (nf_ == 0) {
    print FILENAME ": no MP_API functions found" > "/dev/stderr"
    errors++
  }
  if (errors > 0) {
    printf "%d problem(s) in the doc comments of %s\n", errors, hname > "/dev/stderr"
    exit 1
  }
  if (lint) {
    printf "%d functions documented\n", nf_
    exit 0
  }
  for (i = 1; i <= nf_; i++) {
    f = out "/" fn[i] ".3"
    # Reopening would truncate: append the SEE ALSO section.
    printf "" >> f
    see_also(f, fn[i], fn_group[i])
    close(f)
  }

  f = out "/mpool.3"
  print ".\\\" Generated by scripts/gen-man.sh from " hname "; do not edit." > f
  print ".TH MPOOL 3 \"\" \"mpool " version "\" \"mpool manual\"" > f
  print ".SH NAME" > f
  print "mpool \\- " plain(intro_name) > f
  print ".SH LIBRARY" > f
  print "mpool (\\fIlibmpool\\fP, \\fI\\-lmpool\\fP)" > f
  print ".SH SYNOPSIS" > f
  print ".nf" > f
  print ".B #include <" hname ">" > f
  print ".PP" > f
  print ".B cc app.c $(pkg\\-config \\-\\-cflags \\-\\-libs mpool)" > f
  print ".fi" > f
  print ".SH DESCRIPTION" > f
  cn = 0
  cl[++cn] = "/**"
  for (i = 1; i <= intro_n; i++)
    cl[++cn] = " *" intro[i]
  cl[++cn] = " */"
  parse_comment()
  emit_blocks(f)
  print ".SH FUNCTIONS" > f
  for (g = 1; g <= ngroups; g++) {
    shown = 0
    for (i = 1; i <= nf_; i++) {
      if (fn_group[i] != groups[g])
        continue
      if (!shown++) {
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
      nb = type_nb[i]
      for (j = 1; j <= nb; j++) {
        blk_kind[j] = type_kind[i, j]
        blk_text[j] = type_text[i, j]
      }
      emit_blocks(f)
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
      print line(inline(const_text[i])) > f
    }
  }
  see_also(f, "mpool", "")
  close(f)
}
' "$header"
