#!/usr/bin/env python3
"""Writes the small hand-made CSV fixtures of t/test_csv.c (the ones with
CRs, NULs, gzip or UTF-16 bytes are easier to make than to type).
Run from t/data/csv/: python3 make_fixtures.py"""
import gzip
import io


def w(name, data):
    if isinstance(data, str):
        data = data.encode()
    open(name, 'wb').write(data)


# RFC 4180 quoting: quoted header, commas, doubled quotes, a newline inside a
# field, quoted numbers with blanks around the quotes, a quoted empty field
w('quoted.csv', '"id","name","x","y"\r\n'
  '1,"Smith, John",1.5,"2.5"\r\n'
  '2,"He said ""hi""",  "3" , 4\r\n'
  '3,"multi\nline, ""text""",5,6\r\n'
  '4,"",7,""\r\n')
w('quoted_lines.csv', 'id,note,v\n1,"a\nb\nc",1.5\n2,plain,oops\n')
w('quoted_ragged.csv', 'a,b,c\n1,"x\ny",3\n4,5\n')
w('unclosed.csv', 'a,b\n1,2\n3,"open\n4,5\n')
w('afterquote.csv', 'a,b\n1,2\n3,"4"x\n')
w('semicolon.csv', 'a;b;"c;d";cls\n1.5;2;3;x\n2.5; 4 ;"6";y\n')
w('tab.csv', 'a\tb\tname\tcls\n1\t2\tone two\t0\n3\t\t three \t1\n5\t6\tx\t1\n')
w('space.txt', '  Weight Waist   Pulse\n191 36  50\n\t189\t37 52  \n193 38 "58"\n')
w('cr.csv', 'a,b,c\r1,2,x\r3,4,y\r')
w('na.csv', 'f1,f2,c,t\n'
  '1,NA,a,1\n'      # line 2
  '2,4,b,N/A\n'     # 3
  'NaN,6,a,3\n'     # 4
  '4,8,?,4\n'       # 5
  '5,10,b,5\n'      # 6
  'null,12,a,6\n'   # 7
  '7,"",b,7\n'      # 8
  'NULL,16,a,8\n'   # 9
  '9,nan,b,9\n'     # 10
  '10,20,a,10\n')   # 11
w('classes.csv', 'x,neg,flt,one,gap,big,single,mixed,cna\n'
  '1,-1,1.0,1,0,0,7,1,a\n'
  '2,1,2.0,2,1,5000,7,b,NA\n'
  '3,-1,2,3,3,0,7,2,b\n'
  '4,1,1,2,1,5000,7,a,\n'
  '5,1,1.0,1,0,5000,7,1,a\n')
w('mixed.csv', 'a,flag,b,c\n1,yes,2,3\n4,no,x7,6\n7,yes,8,9\n')
w('unnamed.csv', ',a,b,cls,\n0,1.5,2,x,\n1,2.5,4,y,\n2,3.5,6,x,\n')
w('pandas.csv', '0,1,2,target\n0.5,1,2,0\n1.5,3,4,1\n')
w('binary.csv', b'a,b\n1,2\n3,\x00\x01\x02\n')
w('control.csv', b'a,b\n1,2\n3\x07,4\n')
w('utf16.csv', 'a,b\n1,2\n'.encode('utf-16'))
buf = io.BytesIO()
with gzip.GzipFile(fileobj=buf, mode='wb', mtime=0, filename='') as g:
    g.write(b'a,b\n1,2\n')
w('gzip.csv', buf.getvalue())
w('blank.csv', '\n  \n\r\n')
w('onecol.csv', 'a;b;c\n1;2;3\n')
# Excel: a "sep=;" line, decimal commas, a trailing ';', lines of ';' only
w('excel.csv', 'sep=;\r\na;b;cls;\r\n"1,5";2;x;\r\n;;;;\r\n2,5;-999;y;\r\n3,0;4;x;\r\n;;;;\r\n')
# quoted names with blanks inside the quotes
w('spaced.csv', '" x ", "y" ,cls\n1,2,a\n3,4,b\n')
# trailing delimiters on data lines only; R's row names (one name short)
w('trailing.csv', 'a,b\n1,2,\n3,4,,\n')
w('rownames.csv', 'a,b\nr1,1,2\nr2,3,4\n')
