"""The ICP Finder Scrapy project: crawls company websites into page, evidence and outcome records."""
