#!/usr/bin/env python3
"""Writes common_passwords.txt: well-known weak passwords, the patterns
Chinese users favour (woaini1314, 5201314, pinyin + birthdays, keyboard
walks), and their usual dressings (capital first letter, a year, "!",
"@123"). Run by hand from internal/access/testdata; the output is committed and embedded."""

top = """123456 password 12345678 qwerty 123456789 12345 1234 111111 1234567 dragon 123123
baseball abc123 football monkey letmein 696969 shadow master 666666 qwertyuiop 123321
mustang 1234567890 michael 654321 superman 1qaz2wsx 7777777 121212 000000 qazwsx
123qwe killer trustno1 jordan jennifer zxcvbnm asdfgh hunter buster soccer harley
batman andrew tigger sunshine iloveyou 2000 charlie robert thomas hockey ranger daniel
starwars klaster 112233 george computer michelle jessica pepper 1111 zxcvbn 555555
11111111 131313 freedom 777777 pass maggie 159753 aaaaaa ginger princess joshua cheese
amanda summer love ashley nicole chelsea biteme matthew access yankees 987654321 dallas
austin thunder taylor matrix admin administrator root welcome welcome1 passw0rd p@ssw0rd
p@ssword password1 password123 qwerty123 qwe123 1q2w3e4r 1q2w3e4r5t 1q2w3e 1qaz2wsx3edc
zaq12wsx zaq1xsw2 qazwsxedc qweasdzxc asdfghjkl asdf1234 qwer1234 abcd1234 abc12345
a123456 a12345678 aa123456 aa12345678 aa112233 a1234567 a1b2c3d4 abcdef abcdefg
abcdefgh abcd123 test test123 test1234 guest changeme default system server oracle
mysql postgres dibao dibao123 minzheng dibao2026 china beijing shanghai
woaini woaini1314 woaini520 woaini521 woaini123 woaini1234 woaiwojia woainima woaiwolaopo
woaiwolaogong woaini5201314 5201314 52013145201314 1314520 13145200 520520 521521 5211314
1314521 520131400 caonima wodemima mima mima123 mima1234 mimamima zhongguo zhonghua
woshishui woshinidie nihao nihao123 laopo laogong baobei baobao baobei520 xiaoming
xiaohong xiaoqiang zhangwei wangwei wangfang liwei lina zhangmin lijing wangjing liuwei
wanglei zhangjie lijie liuyang yangyang haha hahaha hehe huanghe changjiang tianya
qq123456 qq123456789 qwe123456 qwer123456 asd123456 zxc123456 zxcv1234 asdf123456
aa123123 abc123456 abc123123 a123123 a5201314 ab123456 aaa123456 woaini520520 iloveyou1314
88888888 66666666 99999999 11223344 12341234 123123123 147258369 159357 147258 258369
789456123 741852963 123654 123654789 987654 147852369 1234qwer 123qweasd 123qweasdzxc
1qazxsw2 2wsx3edc 3edc4rfv 1qaz@wsx 1qaz!qaz !qaz2wsx 1qaz1qaz qwertyui 88889999 13579
246810 1357924680 0123456789 9876543210 112358 31415926 3.1415926 000000000 123456a
123456aa 123456abc 123456qq 123456789a 12345678a 1234567a 1a2b3c4d 1a2b3c q1w2e3r4
q1w2e3r4t5 qaz123 wsx123 zxc123 asd123 qwe456 admin123 admin888 admin1234 administrator1
root123 root1234 user123 user1234 temp123 guest123 manager service support""".split()

walks = ["qwertyuiop", "asdfghjkl", "zxcvbnm", "1qaz2wsx3edc4rfv", "qazwsxedcrfv",
         "1234qwerasdfzxcv", "qwerasdfzxcv", "!qaz@wsx#edc", "!@#$%^&*", "!@#qwe", "1q2w3e4r5t6y",
         "zaq1@wsx", "poiuytrewq", "mnbvcxz", "lkjhgfdsa", "0987654321", "qweasd", "qweasd123"]

pinyin = ["woaini", "aini", "zhongguo", "beijing", "shanghai", "guangzhou", "shenzhen", "wuhan",
          "chengdu", "nanjing", "tianjin", "xian", "hangzhou", "chongqing", "huawei", "xiaomi",
          "laopo", "laogong", "baobei", "baobao", "qinqin", "aiai", "lovelove", "tiantian",
          "xiaoxiao", "mingming", "dongdong", "lele", "feifei", "lili", "tingting", "jingjing",
          "zhangwei", "wangwei", "liwei", "liuyang", "zhangjie", "wangfang", "liqiang", "chenjing",
          "minzheng", "dibao", "zhengfu", "dangyuan", "renmin", "gongzuo", "bangong", "admin",
          "password", "passwd", "pass", "mima", "qwer", "asdf", "zxcv", "abcd", "abc", "aaaa",
          "love", "iloveyou", "hello", "welcome", "sunshine", "dragon", "monkey", "tiger", "long",
          "qq", "wx", "weixin", "taobao", "alibaba", "tencent", "baidu", "china", "user", "test"]

suffixes = ["", "1", "12", "123", "1234", "12345", "123456", "1234567", "12345678", "123456789",
            "520", "521", "1314", "5201314", "666", "888", "999", "000", "111", "2008", "2012",
            "2020", "2021", "2022", "2023", "2024", "2025", "2026", "2027", "!", "@", "@123",
            "!@#", "123!", "123.", "@2026", "#2026", "!2026", ".123", "_123", "147258", "159357"]

out = set()
for w in top + walks:
    out.add(w.lower())
for base in pinyin + walks[:6]:
    for s in suffixes:
        for b in (base, base.capitalize()):
            out.add((b + s).lower())
            out.add(("Aa" + s).lower())
# Aa123456 and its family: a capital, a lower, a run of digits, maybe a symbol.
for pre in ["a", "aa", "aaa", "ab", "abc", "abcd", "q", "qq", "qw", "qwe", "qwer", "z", "zx", "zxc", "w", "wo", "p", "pa"]:
    for run in ["123", "1234", "12345", "123456", "1234567", "12345678", "123456789", "1234567890",
                "111111", "888888", "666666", "123123", "112233", "5201314", "1314520", "147258369"]:
        for sym in ["", "!", "@", ".", "#", "!@#", "@@", "!!"]:
            out.add(pre + run + sym)
            out.add(run + pre + sym)
# Birthdays and years as passwords (19600101..20101231 is too many; months and first days).
for y in range(1950, 2011):
    out.add(str(y))
    for m in range(1, 13):
        out.add("%d%02d01" % (y, m))
        out.add("%d%02d15" % (y, m))
# Repeated digits and letters of lengths 6..16.
for ch in "0123456789abcdefghijklmnopqrstuvwxyz":
    for n in range(6, 17):
        out.add(ch * n)
lines = sorted(out)
with open("../common_passwords.txt", "w") as f:
    f.write("# Common passwords refused by the password policy (case-insensitive).\n")
    f.write("# Generated by gen_common.py; edit that script, not this file.\n")
    for l in lines:
        f.write(l + "\n")
print(len(lines))
