-- Every validated LLM answer, keyed by a hash of (prompt version, model, input text), so a re-run
-- with unchanged evidence costs nothing. Tokens are kept to report what the cache saved.
create table icp.llm_cache (
    cache_key          text primary key,
    prompt_version     text not null,
    model              text not null,
    answer             jsonb not null,
    prompt_tokens      integer not null default 0,
    completion_tokens  integer not null default 0,
    created_at         timestamptz not null default now()
);
