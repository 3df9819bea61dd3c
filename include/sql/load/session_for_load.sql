-- Memory for the loading session's temporary tables (staging and the checked rows), set before
-- the session first touches one (the server refuses a change after that).
set temp_buffers = '256MB';
