-- A dead letter's position on the dead-letter topic includes the topic's name: offsets restart at 0
-- when a topic is recreated, and tests or side-by-side deployments (VOC_KAFKA_TOPIC_PREFIX) share one
-- database. Without the name, a letter at a reused (partition, offset) would be skipped as a duplicate.
-- Rows stored before this migration keep dlq_topic = ''.
alter table dead_letters add column dlq_topic text not null default '';
alter table dead_letters drop constraint dead_letters_dlq_partition_dlq_offset_key;
alter table dead_letters add constraint dead_letters_dlq_position_key unique (dlq_topic, dlq_partition, dlq_offset);
