# Chinese business software groups thousands (¥1,250,000.00); Django's zh_Hans default does not.
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
DECIMAL_SEPARATOR = "."
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y年%n月%j日"]
