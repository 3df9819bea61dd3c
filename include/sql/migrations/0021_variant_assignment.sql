-- Champion and challenger (SPEC 9): an account's variant hash, computed in SQL as the SPEC writes it
-- in Python, int(sha256((dag_id + ":" + account_id).encode("utf-8")).hexdigest()[:8], 16) % 10000,
-- and the variant a new case opens under: the listed variants take consecutive ranges of the hash,
-- upto[i] being the end (exclusive) of the i-th. A case keeps its variant for its life
-- (cases/evaluate.sql carries it from the day before); these only place a case that opens.
create function collections.variant_hash(dag_id text, account_id text) returns integer
language sql immutable parallel safe
set search_path = pg_catalog as $$
    select ((('x' || left(encode(sha256(convert_to(dag_id || ':' || account_id, 'UTF8')), 'hex'), 8))::bit(32)::bigint)
            % 10000)::integer
$$;

create function collections.variant_of(dag_id text, account_id text, names text[], upto integer[]) returns text
language sql immutable parallel safe
set search_path = pg_catalog as $$
    select names[min(i)]
    from generate_subscripts(upto, 1) as i
    where collections.variant_hash(dag_id, account_id) < upto[i]
$$;
