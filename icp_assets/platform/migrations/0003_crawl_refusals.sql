-- Requests the crawler's egress policy refused for a site (IP literals, non-public addresses,
-- ports other than 80/443, proxies a host may not use): recorded per site, the crawl goes on.
alter table icp.crawl_outcomes add column refused_by_policy integer not null default 0;
